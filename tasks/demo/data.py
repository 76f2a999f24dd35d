"""Demo data: the people, the product catalogue and where the demo scenarios live.

The store is "Deskwise": it sells workspace gear (one-off orders, shipped) and the Deskwise app
(desk booking for teams) on monthly plans (subscription charges)."""

from __future__ import annotations

from tasks.demo.specs import CustomerSpec, StaffSpec
from tasks.services.groups import APPROVERS_GROUP, SUPPORT_GROUP

# Ticket numbers of the demo scenarios, for the offline model, tests and walkthroughs.
SCENARIO_TICKETS: dict[str, int] = {
    "duplicate_charge": 1001,
    "refund_in_window": 1002,
    "refund_outside_window": 1003,
    "refund_above_limit": 1004,
    "late_shipment": 1005,
    "damaged_item": 1006,
    "account_access": 1007,
    "bug_report": 1008,
    "how_to": 1009,
    "invoice_request": 1010,
    "other_customer_order": 1011,
}
FIRST_TICKET_NUMBER = 1001
FIRST_ORDER_NUMBER = 48_210
# Fixed so two seeds of an empty database produce the same data (dates aside).
RANDOM_SEED = 20_261_001

STAFF: tuple[StaffSpec, ...] = (
    StaffSpec(
        "support",
        "Sam",
        "Rivera",
        password="support-demo",
        role="support agent: backlog, tickets, agent tasks",
        groups=(SUPPORT_GROUP,),
    ),
    StaffSpec(
        "approver",
        "Alex",
        "Morgan",
        password="approver-demo",
        role="approver: decides refunds in /admin/",
        groups=(SUPPORT_GROUP, APPROVERS_GROUP),
    ),
    StaffSpec(
        "admin",
        "Ada",
        "Admin",
        password="admin-demo",
        role="superuser",
        superuser=True,
    ),
    StaffSpec("maria", "Maria", "Lopez", groups=(SUPPORT_GROUP,)),
    StaffSpec("tom", "Tom", "Becker", groups=(SUPPORT_GROUP,)),
    StaffSpec("aisha", "Aisha", "Karimi", groups=(SUPPORT_GROUP,)),
)

# Monthly price of each paid plan; free customers have no subscription charges.
PLAN_PRICES: dict[str, str] = {"starter": "12.00", "pro": "29.00", "business": "99.00"}
PLAN_NAMES: dict[str, str] = {"starter": "Starter", "pro": "Pro", "business": "Business"}

# Every one-off order amount includes the standard shipping fee (see the shipping policy).
SHIPPING_FEE = "9.95"
PRODUCTS: tuple[tuple[str, str], ...] = (
    ("Aurora LED desk lamp", "89.00"),
    ("QuietType wireless keyboard", "59.00"),
    ("StudioPro noise-cancelling headphones", "249.00"),
    ("LiftUp standing desk converter", "189.00"),
    ("Flex single monitor arm", "119.00"),
    ("Clarity 1080p webcam", "79.00"),
    ("Dock-7 USB-C docking station", "129.00"),
    ("Felt desk mat, large", "24.00"),
    ("Cable management kit", "19.00"),
    ("Ergo vertical mouse", "45.00"),
    ("Aluminium laptop stand", "39.00"),
    ("Adjustable footrest", "49.00"),
    ("Walnut desk organiser set", "29.00"),
    ("Memory-foam seat cushion", "34.00"),
)

_S = CustomerSpec
CUSTOMERS: tuple[CustomerSpec, ...] = (
    # The scenario customers come first; their orders are shaped by the scenario tickets.
    _S("hannah.whitfield", "Hannah Whitfield", "hannah.whitfield@example.com", "pro", 412, 5),
    _S("marcus.oyelaran", "Marcus Oyelaran", "m.oyelaran@example.net", "starter", 263),
    _S("sofia.brandt", "Sofia Brandt", "sofia.brandt@example.org", "free", 181),
    _S("daniel.kowalczyk", "Daniel Kowalczyk", "dan.kowalczyk@example.com", "pro", 527),
    _S("priyanka.rao", "Priyanka Rao", "priyanka@raoarchitects.example", "business", 702),
    _S("liam.osullivan", "Liam O'Sullivan", "liam.osullivan@example.com", "starter", 95),
    _S("grace.kim", "Grace Kim", "gracekim.studio@example.com", "pro", 340),
    _S("tobias.meyer", "Tobias Meyer", "t.meyer@hellmann-logistik.example", "business", 611),
    _S("amara.nwosu", "Amara Nwosu", "amara@brightpath.example", "business", 158),
    _S("elena.petrova", "Elena Petrova", "elena@petrovadesign.example", "business", 455, 9),
    _S("kevin.tran", "Kevin Tran", "kevin.tran84@example.net", "starter", 120),
    _S("rachel.goldberg", "Rachel Goldberg", "rachel.goldberg@example.com", "pro", 389),
    # Everyone else.
    _S("jorge.alvarez", "Jorge Álvarez", "jorge.alvarez@example.com", "pro", 298),
    _S("mei.lin", "Mei Lin", "mei.lin@example.org", "starter", 77),
    _S("oliver.bennett", "Oliver Bennett", "obennett@example.co.uk", "free", 45),
    _S("fatima.haddad", "Fatima Haddad", "fatima.haddad@example.com", "business", 530),
    _S("noah.fischer", "Noah Fischer", "noah.fischer@example.de", "pro", 214),
    _S("isabella.rossi", "Isabella Rossi", "isabella.rossi@example.it", "starter", 133),
    _S("ethan.brooks", "Ethan Brooks", "ethan.brooks@example.com", "free", 61),
    _S("yuki.tanaka", "Yuki Tanaka", "yuki.tanaka@example.jp", "pro", 480),
    _S("chloe.dubois", "Chloé Dubois", "chloe.dubois@example.fr", "starter", 190),
    _S("samuel.adeyemi", "Samuel Adeyemi", "sam.adeyemi@example.com", "business", 655),
    _S("laura.schmidt", "Laura Schmidt", "laura@schmidt-and-partner.example", "business", 720),
    _S("ben.carter", "Ben Carter", "bencarter.dev@example.com", "pro", 305),
    _S("ana.souza", "Ana Souza", "ana.souza@example.com.br", "free", 22),
    _S("william.hughes", "William Hughes", "will.hughes@example.com", "starter", 367),
    _S("zara.ahmed", "Zara Ahmed", "zara.ahmed@example.org", "pro", 242),
    _S("lucas.martin", "Lucas Martin", "lucas.martin@example.fr", "free", 150),
    _S("emily.nguyen", "Emily Nguyen", "emily.nguyen@example.com", "pro", 88),
    _S("jakob.lindqvist", "Jakob Lindqvist", "jakob@nordicfit.example", "business", 590),
    _S("olivia.park", "Olivia Park", "olivia.park@example.com", "starter", 205),
    _S("mateo.garcia", "Mateo García", "mateo.garcia@example.es", "pro", 412),
    _S("nina.kovac", "Nina Kovač", "nina.kovac@example.hr", "free", 33),
    _S("henry.walsh", "Henry Walsh", "henry.walsh@example.ie", "pro", 276),
    _S("aaliyah.johnson", "Aaliyah Johnson", "aaliyah.j@example.com", "starter", 119),
    _S("david.cohen", "David Cohen", "dcohen@cohenlaw.example", "business", 801),
    _S("sara.lindgren", "Sara Lindgren", "sara.lindgren@example.se", "pro", 164),
    _S("omar.farouk", "Omar Farouk", "omar.farouk@example.com", "free", 12),
    _S("julia.novak", "Julia Novak", "julia.novak@example.cz", "starter", 321),
    _S("ryan.mitchell", "Ryan Mitchell", "ryan.mitchell@example.com", "pro", 57),
    _S("leila.moradi", "Leila Moradi", "leila.moradi@example.com", "business", 436),
    _S("pedro.santos", "Pedro Santos", "pedro.santos@example.pt", "free", 199),
    _S("hana.suzuki", "Hana Suzuki", "hana.suzuki@example.jp", "starter", 98),
    _S("max.weber", "Max Weber", "max.weber@weberbau.example", "business", 545),
    _S("claire.fontaine", "Claire Fontaine", "claire.fontaine@example.fr", "pro", 230),
    _S("george.okafor", "George Okafor", "george.okafor@example.com", "starter", 70),
    _S("ingrid.larsen", "Ingrid Larsen", "ingrid.larsen@example.no", "pro", 380),
    _S("victor.chen", "Victor Chen", "victor.chen@example.com", "free", 140),
)
