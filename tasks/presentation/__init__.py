"""View-models shared by the portal's pages and the websocket pushes that update them."""
