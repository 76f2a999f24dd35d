"""Open backlog, part 2: accounts, app bugs, how-to questions, invoices and everything else."""

from __future__ import annotations

from tasks.demo.specs import CUSTOMER, MessageSpec, OrderSpec, TicketSpec
from tasks.models import Ticket

Cat, Pri, St = Ticket.Category, Ticket.Priority, Ticket.Status
M, Ord, T = MessageSpec, OrderSpec, TicketSpec

PRODUCT_TICKETS: tuple[TicketSpec, ...] = (
    # --- account access ------------------------------------------------------------------------
    T(
        key="reset_email_missing",
        customer="aaliyah.johnson",
        category=Cat.ACCOUNT_ACCESS,
        priority=Pri.HIGH,
        status=St.NEW,
        hours_ago=4,
        subject="Password reset email never arrives",
        body="""I've clicked "forgot password" like 5 times in the last hour and no email. Checked \
spam. My email is aaliyah.j@example.com. Can you just reset it for me?? I need to book a desk for \
tomorrow morning""",
    ),
    T(
        key="email_change_other_address",
        customer="david.cohen",
        category=Cat.ACCOUNT_ACCESS,
        priority=Pri.NORMAL,
        status=St.NEW,
        hours_ago=18,
        # Written from an address that is not the one on file.
        requester_email="david.cohen.private@example.net",
        subject="Change account email",
        body="""Hi, please change the email on my Deskwise account from dcohen@cohenlaw.example to \
david.cohen.private@example.net. I'm leaving the firm and want to keep my account. This is David \
Cohen, you can see my name on the account.

Thanks""",
    ),
    T(
        key="sso_lockout",
        customer="fatima.haddad",
        category=Cat.ACCOUNT_ACCESS,
        priority=Pri.URGENT,
        status=St.OPEN,
        hours_ago=3,
        assignee="support",
        subject="Whole team locked out after SSO change",
        body="""Since 9am none of our 40 staff can log in. We moved to a new Azure AD tenant \
yesterday and updated the SSO settings in Deskwise. Now everyone gets "SAML response invalid".

This is blocking our whole office, please call me on +44 20 7946 0321.

Fatima Haddad
IT lead""",
        thread=(
            M(
                "support",
                "Escalated to the on-call engineer per the escalation document: probably the new "
                "tenant's signing certificate was not uploaded.",
                0.5,
                internal=True,
            ),
        ),
    ),
    T(
        key="mobile_session_expired",
        customer="jakob.lindqvist",
        category=Cat.ACCOUNT_ACCESS,
        priority=Pri.NORMAL,
        status=St.PENDING,
        hours_ago=100,
        assignee="aisha",
        subject="Can't log in on the iPhone app",
        body="""Web login works fine but the iOS app says "session expired" right after I sign in. \
Reinstalled it twice.

Jakob Lindqvist
Nordic Fit""",
        thread=(
            M(
                "aisha",
                "Hi Jakob, could you tell us which app version you have (Settings > About) and "
                "whether you sign in with Google or with email and password?\n\n"
                "Aisha, Deskwise Support",
                3,
            ),
        ),
    ),
    # --- bug reports ---------------------------------------------------------------------------
    T(
        key="calendar_duplicates",
        customer="yuki.tanaka",
        category=Cat.BUG_REPORT,
        priority=Pri.NORMAL,
        status=St.NEW,
        hours_ago=27,
        subject="Calendar sync creates duplicate bookings",
        body="""Every desk booking I make shows up twice in my Google Calendar since about a week \
ago. Deleting one removes both. Not a big deal but it's confusing my team.

Yuki Tanaka""",
    ),
    T(
        key="android_crash",
        customer="laura.schmidt",
        category=Cat.BUG_REPORT,
        priority=Pri.HIGH,
        status=St.OPEN,
        hours_ago=52,
        assignee="tom",
        subject="Android app crashes when opening the floor plan",
        body="""Our staff on Android 14 (Pixel 7 and Samsung S23) can't open the floor plan, the \
app closes immediately. iPhone users are fine. App version 5.12.0.

Laura Schmidt
Schmidt & Partner""",
        thread=(
            M(
                "tom",
                "Reproduced on a Pixel 7 emulator with 5.12.0. Filed DW-2310 for the mobile team.",
                5,
                internal=True,
            ),
            M(
                "tom",
                "Hi Laura, thanks for the details. We've reproduced the crash and our mobile team "
                "is on it. As a workaround the floor plan works in the mobile browser at "
                "app.deskwise.example. I'll update you when the fix ships.\n\n"
                "Tom, Deskwise Support",
                5.5,
            ),
            M(CUSTOMER, "Thanks Tom. Any ETA? People are getting annoyed.", 30),
        ),
    ),
    T(
        key="invoice_typo",
        customer="chloe.dubois",
        category=Cat.BUG_REPORT,
        priority=Pri.LOW,
        status=St.NEW,
        hours_ago=60,
        subject="Typo on the invoice PDF",
        body="""Small thing: your invoice PDFs say "Thank you for you business" in the footer :)

Chloé""",
    ),
    T(
        key="late_confirmation_emails",
        customer="sara.lindgren",
        category=Cat.BUG_REPORT,
        priority=Pri.NORMAL,
        status=St.PENDING,
        hours_ago=140,
        assignee="maria",
        subject="Booking confirmation emails arrive hours late",
        body="""Booking confirmations arrive 2-3 hours after I book, sometimes after the booking \
has already started. Colleagues see the same. We use Outlook / Microsoft 365.

Sara""",
        thread=(
            M(
                "maria",
                "Hi Sara, could you forward one of the late confirmation emails to us as an "
                "attachment (so we get the full headers)? That shows us where it was delayed.\n\n"
                "Maria, Deskwise Support",
                8,
            ),
        ),
    ),
    # --- how-to --------------------------------------------------------------------------------
    T(
        key="export_quarter",
        customer="julia.novak",
        category=Cat.HOW_TO,
        priority=Pri.LOW,
        status=St.NEW,
        hours_ago=33,
        subject="Export all bookings for last quarter",
        body="""How can I export all our bookings from the last quarter to Excel? The report \
filter only lets me pick the last 30 days.

Julia""",
    ),
    T(
        key="pause_subscription",
        customer="hana.suzuki",
        category=Cat.HOW_TO,
        priority=Pri.NORMAL,
        status=St.NEW,
        hours_ago=41,
        subject="Can I pause my subscription over the summer?",
        body="""Hello, our office is closed in July and August. Is it possible to pause the \
Starter plan for those two months instead of cancelling? I don't want to lose our floor plans.

Best regards,
Hana Suzuki""",
    ),
    T(
        key="hybrid_team_setup",
        customer="leila.moradi",
        category=Cat.HOW_TO,
        priority=Pri.NORMAL,
        status=St.OPEN,
        hours_ago=75,
        assignee="maria",
        subject="Setting up desk booking for a hybrid team of 25",
        body="""We have 25 people and 15 desks, people are in the office 2-3 days a week. What's \
the best way to set this up so nobody hogs a desk all week?

Leila Moradi""",
        thread=(
            M(
                "maria",
                "Hi Leila, great question! Most teams your size use 'neighbourhoods' (Settings > "
                "Floor plans) and a booking limit per person per week (Settings > Rules). I'd "
                "start with 3 bookings per week and auto-release of unused desks at 10:00.\n\n"
                "Maria, Deskwise Support",
                20,
            ),
            M(
                CUSTOMER,
                "Thanks! Can the limit be different for team leads? They need 4 days.",
                40,
            ),
        ),
    ),
    T(
        key="lamp_warranty",
        customer="george.okafor",
        category=Cat.HOW_TO,
        priority=Pri.LOW,
        status=St.NEW,
        hours_ago=55,
        subject="Where do I find the warranty for my lamp?",
        body="""Hi there, how long is the warranty on the Aurora lamp and do I need to register \
it somewhere? Didn't see a card in the box.

George""",
    ),
    # --- invoices ------------------------------------------------------------------------------
    T(
        key="company_invoice",
        customer="max.weber",
        category=Cat.INVOICE,
        priority=Pri.NORMAL,
        status=St.NEW,
        hours_ago=16,
        orders=(Ord("i1", "max.weber", "LiftUp standing desk converter", "198.95", days_ago=25),),
        subject="Invoice for order {i1.number} with company details",
        body="""Guten Tag,

please send an invoice for order {i1.number} ({i1.charged}) made out to:

Weberbau GmbH
Industriestr. 12, 70565 Stuttgart
USt-IdNr. DE 812 345 678

Thank you,
Max Weber""",
    ),
    T(
        key="all_invoices",
        customer="ingrid.larsen",
        category=Cat.INVOICE,
        priority=Pri.NORMAL,
        status=St.NEW,
        hours_ago=45,
        subject="All invoices for this year in one go?",
        body="""Our accountant needs every Deskwise invoice since January for the annual report. \
Is there a way to download them all at once instead of one by one?

Ingrid Larsen""",
    ),
    T(
        key="wrong_invoice_address",
        customer="mateo.garcia",
        category=Cat.INVOICE,
        priority=Pri.NORMAL,
        status=St.PENDING,
        hours_ago=96,
        assignee="aisha",
        subject="Wrong billing address on invoices",
        body="""Our invoices still show our old office address. We moved in spring. Can you fix \
the past invoices too?

Mateo García""",
        thread=(
            M(
                "aisha",
                "Hi Mateo, happy to help. Please send us the new billing address exactly as it "
                "should appear. We can reissue invoices for charges of the last 12 months.\n\n"
                "Aisha, Deskwise Support",
                4,
            ),
        ),
    ),
    # --- other ---------------------------------------------------------------------------------
    T(
        key="reseller_inquiry",
        customer=None,
        requester_email="partnerships@officehub-reseller.example",
        category=Cat.OTHER,
        priority=Pri.LOW,
        status=St.NEW,
        hours_ago=64,
        subject="Reseller partnership for the Nordics",
        body="""Hello Deskwise team,

OfficeHub is a reseller of office equipment in Sweden, Norway and Denmark. We would like to \
discuss carrying your LiftUp converters and offering the Deskwise app to our B2B customers. Who \
would be the right person to talk to?

Best regards,
Lars Eriksen
Head of Partnerships, OfficeHub""",
    ),
    T(
        key="gdpr_delete",
        customer="pedro.santos",
        category=Cat.OTHER,
        priority=Pri.HIGH,
        status=St.NEW,
        hours_ago=10,
        subject="Delete my account and all my data (GDPR)",
        body="""Under GDPR article 17 I request the deletion of my Deskwise account and all \
personal data you hold about me. Please confirm when it is done.

Pedro Santos""",
    ),
    T(
        key="thank_you",
        customer="victor.chen",
        category=Cat.OTHER,
        priority=Pri.LOW,
        status=St.NEW,
        hours_ago=29,
        subject="Just wanted to say thanks",
        body="""No problem to report, just wanted to say the new booking page is so much faster. \
Great job to whoever built it!

Victor""",
    ),
    T(
        key="phishing_email",
        customer="omar.farouk",
        category=Cat.OTHER,
        priority=Pri.HIGH,
        status=St.OPEN,
        hours_ago=6,
        assignee="support",
        subject="Got an email asking for my card details - is this you?",
        body="""I got an email from "Deskwise Billing" <billing@deskwise-billing.example> saying \
my account will be suspended unless I confirm my card details at a link. Is this really from you? \
I only signed up last week.

Omar""",
        thread=(
            M(
                "support",
                "Phishing: deskwise-billing.example is not our domain. Reported to security.",
                1,
                internal=True,
            ),
        ),
    ),
)
