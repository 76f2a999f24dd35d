"""Solved and closed tickets: the history an agent finds when it searches a customer's tickets."""

from __future__ import annotations

from tasks.demo.specs import CUSTOMER, MessageSpec, OrderSpec, TicketSpec
from tasks.models import Ticket

Cat, Pri, St = Ticket.Category, Ticket.Priority, Ticket.Status
M, Ord, T = MessageSpec, OrderSpec, TicketSpec

HISTORY: tuple[TicketSpec, ...] = (
    T(
        key="two_laptops",
        customer="hannah.whitfield",
        category=Cat.HOW_TO,
        priority=Pri.LOW,
        status=St.SOLVED,
        hours_ago=60 * 24,
        assignee="maria",
        subject="Can I use the app on two laptops?",
        body="Quick one: can I be logged into Deskwise on my work and my home laptop at the same "
        "time?\n\nHannah",
        thread=(
            M(
                "maria",
                "Hi Hannah, yes: your Pro plan has no device limit, just sign in on both.\n\n"
                "Maria, Deskwise Support",
                2,
            ),
            M(CUSTOMER, "Perfect, thanks!", 5),
        ),
    ),
    T(
        key="refund_for_rachel",
        customer="kevin.tran",
        category=Cat.REFUND,
        priority=Pri.NORMAL,
        status=St.CLOSED,
        hours_ago=25 * 24,
        assignee="tom",
        subject="Refund for my colleague's order",
        body="Please refund Rachel Goldberg's last order, she doesn't need it. I handle her "
        "purchases.\n\nKevin",
        thread=(
            M(
                "tom",
                "Hi Kevin, we can only discuss or refund an order with the account holder. Please "
                "ask Rachel to contact us from the email address on her account.\n\n"
                "Tom, Deskwise Support",
                3,
            ),
            M(
                "tom",
                "Requester is not the account holder; no action taken. Closing.",
                3.1,
                internal=True,
            ),
        ),
    ),
    T(
        key="dock_two_monitors",
        customer="rachel.goldberg",
        category=Cat.HOW_TO,
        priority=Pri.LOW,
        status=St.SOLVED,
        hours_ago=3 * 24,
        assignee="aisha",
        subject="Dock-7 with two 4K monitors?",
        body="My new Dock-7 arrived, love it. Can it drive two 4K monitors at 60Hz from a MacBook "
        "Air?\n\nRachel",
        thread=(
            M(
                "aisha",
                "Hi Rachel, glad you like it! MacBook Air models with an M1/M2 chip support one "
                "external display natively; with M3 you can use two with the lid closed. "
                "\n\nAisha, Deskwise Support",
                4,
            ),
        ),
    ),
    T(
        key="double_mouse_order",
        customer="noah.fischer",
        category=Cat.REFUND,
        priority=Pri.NORMAL,
        status=St.SOLVED,
        hours_ago=40 * 24,
        assignee="maria",
        orders=(
            Ord("hx_mouse_kept", "noah.fischer", "Ergo vertical mouse", "54.95", days_ago=43),
            Ord(
                "hx_mouse_dup",
                "noah.fischer",
                "Ergo vertical mouse",
                "54.95",
                days_ago=42.9,
                status="refunded",
                refunded="full",
            ),
        ),
        subject="Ordered the same mouse twice by accident",
        body="I clicked the order button twice and now have {hx_mouse_kept.number} and "
        "{hx_mouse_dup.number}, same mouse. Please cancel one.\n\nNoah",
        thread=(
            M(
                "maria",
                "Hi Noah, the second parcel had already shipped, so please just send it back with "
                "the prepaid label attached. I've refunded {hx_mouse_dup.number} in full "
                "(${hx_mouse_dup.amount}).\n\nMaria, Deskwise Support",
                6,
            ),
        ),
    ),
    T(
        key="twofa_reset_done",
        customer="isabella.rossi",
        category=Cat.ACCOUNT_ACCESS,
        priority=Pri.HIGH,
        status=St.SOLVED,
        hours_ago=80 * 24,
        assignee="aisha",
        subject="2FA codes not accepted",
        body="My authenticator codes stopped working after I changed phone. Help!",
        thread=(
            M(
                "aisha",
                "Hi Isabella, I've sent a secure 2FA reset link to the email address on your "
                "account. It's valid for 30 minutes.\n\nAisha, Deskwise Support",
                1,
            ),
            M(CUSTOMER, "Worked, I'm back in. Thank you!", 2),
        ),
    ),
    T(
        key="scratched_webcam",
        customer="emily.nguyen",
        category=Cat.DAMAGED_ITEM,
        priority=Pri.NORMAL,
        status=St.SOLVED,
        hours_ago=50 * 24,
        assignee="tom",
        orders=(Ord("hx_webcam", "emily.nguyen", "Clarity 1080p webcam", "88.95", days_ago=56),),
        subject="Webcam lens scratched",
        body="The webcam from {hx_webcam.number} has a scratch across the lens, photo attached.",
        thread=(
            M(
                "tom",
                "Hi Emily, thanks for the photo. A replacement is on its way, no need to return "
                "the scratched one.\n\nTom, Deskwise Support",
                5,
            ),
        ),
    ),
    T(
        key="dark_mode_contrast",
        customer="ben.carter",
        category=Cat.BUG_REPORT,
        priority=Pri.LOW,
        status=St.CLOSED,
        hours_ago=90 * 24,
        assignee="tom",
        subject="Dark mode: desk numbers unreadable",
        body="In dark mode the desk numbers on the floor plan are dark grey on black.",
        thread=(
            M(
                "tom",
                "Thanks Ben, fixed in release 5.9 which went out today.\n\nTom, Deskwise Support",
                72,
            ),
        ),
    ),
    T(
        key="invoice_copy",
        customer="zara.ahmed",
        category=Cat.INVOICE,
        priority=Pri.LOW,
        status=St.SOLVED,
        hours_ago=35 * 24,
        assignee="aisha",
        subject="Copy of last month's invoice",
        body="Could you email me a copy of last month's invoice? I deleted the email.",
        thread=(
            M(
                "aisha",
                "Hi Zara, sent to your email on file. You can also download every invoice under "
                "Billing > Invoices.\n\nAisha, Deskwise Support",
                3,
            ),
        ),
    ),
    T(
        key="free_plan_mobile",
        customer="oliver.bennett",
        category=Cat.HOW_TO,
        priority=Pri.LOW,
        status=St.CLOSED,
        hours_ago=44 * 24,
        subject="Does the free plan include the mobile app?",
        body="Title says it all. Thanks!",
        assignee="maria",
        thread=(
            M(
                "maria",
                "Hi Oliver, yes, the mobile app works on every plan including Free.\n\n"
                "Maria, Deskwise Support",
                1,
            ),
        ),
    ),
    T(
        key="goodwill_headphones",
        customer="laura.schmidt",
        category=Cat.SHIPPING,
        priority=Pri.NORMAL,
        status=St.SOLVED,
        hours_ago=38 * 24,
        assignee="tom",
        orders=(
            Ord(
                "hx_headphones",
                "laura.schmidt",
                "StudioPro noise-cancelling headphones",
                "258.95",
                days_ago=48,
                expected_days_ago=43,
                delivered_days_ago=39,
                refunded="30.00",
                status="partially_refunded",
            ),
        ),
        subject="Headphones arrived late for a gift",
        body="The headphones ({hx_headphones.number}) were a birthday gift and arrived on "
        "{hx_headphones.delivered}, four days after the promised {hx_headphones.expected}. "
        "Not happy.",
        thread=(
            M(
                "tom",
                "Hi Laura, sorry about the delay. As a goodwill gesture I've refunded $30.00 on "
                "{hx_headphones.number}.\n\nTom, Deskwise Support",
                4,
            ),
        ),
    ),
    T(
        key="tracking_stuck",
        customer="yuki.tanaka",
        category=Cat.SHIPPING,
        priority=Pri.NORMAL,
        status=St.CLOSED,
        hours_ago=70 * 24,
        assignee="aisha",
        orders=(
            Ord(
                "hx_track",
                "yuki.tanaka",
                "Adjustable footrest",
                "58.95",
                days_ago=75,
                expected_days_ago=70,
                delivered_days_ago=68.8,
            ),
        ),
        subject="Tracking not updating",
        body="Tracking for {hx_track.number} hasn't moved in 3 days.",
        thread=(
            M(
                "aisha",
                "Hi Yuki, the carrier confirmed a delay at the sorting centre, it's moving again "
                "and should arrive tomorrow.\n\nAisha, Deskwise Support",
                2,
            ),
            M(CUSTOMER, "Arrived today, thanks.", 32),
        ),
    ),
    T(
        key="annual_to_monthly",
        customer="jorge.alvarez",
        category=Cat.BILLING,
        priority=Pri.LOW,
        status=St.CLOSED,
        hours_ago=100 * 24,
        assignee="maria",
        subject="Switch from annual to monthly billing?",
        body="Is there an annual plan with a discount? Or only monthly?",
        thread=(
            M(
                "maria",
                "Hi Jorge, at the moment all plans are billed monthly; there is no annual option."
                "\n\nMaria, Deskwise Support",
                2,
            ),
        ),
    ),
)
