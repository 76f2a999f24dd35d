"""Live updates over websockets: what the consumers send, and the HTML they forward.

Group messages (``publisher``, a listener of the domain's events) carry each event once, with
its frames already built for the two formats a socket can ask for (``protocol``): the JSON
event stream of API clients, and server-rendered HTML fragments for the portal
(``fragments``), rendered once per event per group by the publisher, never per client. A
client that reconnects says the last ``seq`` it saw and gets what it missed from the database
(``catch_up``) before the live stream.
"""
