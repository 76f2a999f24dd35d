"""Open backlog, part 1: tickets about charges, refunds and parcels (some already in progress)."""

from __future__ import annotations

from tasks.demo.specs import CUSTOMER, ChargeRef, MessageSpec, OrderSpec, TicketSpec
from tasks.models import Ticket

Cat, Pri, St = Ticket.Category, Ticket.Priority, Ticket.Status
M, Ord, T = MessageSpec, OrderSpec, TicketSpec

ORDER_TICKETS: tuple[TicketSpec, ...] = (
    # --- billing -------------------------------------------------------------------------------
    T(
        key="upgrade_proration",
        customer="mei.lin",
        category=Cat.BILLING,
        priority=Pri.NORMAL,
        status=St.NEW,
        hours_ago=36,
        orders=(ChargeRef("b1", "mei.lin", 0),),
        subject="Upgrade from Starter to Pro mid-month - what will I pay?",
        body="""Hey, thinking about moving from Starter to Pro because we need the analytics. If I \
upgrade today, am I charged the full $29 right away or is it prorated? My Starter renewal was on \
{b1.charged}.

Mei""",
    ),
    T(
        key="card_declined",
        customer="noah.fischer",
        category=Cat.BILLING,
        priority=Pri.HIGH,
        status=St.NEW,
        hours_ago=7,
        orders=(ChargeRef("b2", "noah.fischer", 0),),
        subject="Got a 'payment declined' message?",
        body="""Hello,

my bank app showed a message this morning that a payment to Deskwise was declined. But my last \
subscription charge on {b2.charged} (${b2.amount}) went through fine. Is my card on file expired \
or is this some kind of scam? I don't want to lose access to the app.

Noah Fischer""",
    ),
    T(
        key="cancel_subscription",
        customer="isabella.rossi",
        category=Cat.BILLING,
        priority=Pri.NORMAL,
        status=St.OPEN,
        hours_ago=70,
        assignee="maria",
        subject="Please cancel my subscription at the end of this month",
        body="""Hi,

we are closing our small co-working space, so please cancel my Starter subscription at the end \
of the current month.

Grazie,
Isabella Rossi""",
        thread=(
            M(
                "maria",
                "Hi Isabella, sorry to see you go! Just to confirm: cancelling keeps your Starter "
                "features until the end of the current billing period and no further charges "
                "are made after that. Shall I go ahead?\n\nBest,\nMaria, Deskwise Support",
                4,
            ),
            M(
                CUSTOMER,
                "Yes please go ahead. Can you confirm in writing that I won't be charged again?",
                20,
            ),
        ),
    ),
    T(
        key="price_increase",
        customer="samuel.adeyemi",
        category=Cat.BILLING,
        priority=Pri.NORMAL,
        status=St.PENDING,
        hours_ago=120,
        assignee="aisha",
        subject="Why did our bill jump to $99?",
        body="""Our Deskwise bill went from $29 to $99 this month and nobody told us about a price \
increase. What happened?

Samuel Adeyemi
Office manager""",
        thread=(
            M(
                "aisha",
                "Upgrade Pro -> Business was made by one of their own admins from the Billing "
                "page. Not a price change.",
                5,
                internal=True,
            ),
            M(
                "aisha",
                "Hi Samuel, I checked your account: the plan was upgraded from Pro to Business "
                "by one of your workspace admins from the Billing page, which is why the charge "
                "is now $99/month. If the upgrade was a mistake I can move you back to Pro. "
                "Could you check with your team and let me know?\n\nAisha, Deskwise Support",
                5.2,
            ),
        ),
    ),
    # --- refunds -------------------------------------------------------------------------------
    T(
        key="lamp_return",
        customer="jorge.alvarez",
        category=Cat.REFUND,
        priority=Pri.NORMAL,
        status=St.NEW,
        hours_ago=14,
        orders=(Ord("r1", "jorge.alvarez", "Aurora LED desk lamp", "98.95", days_ago=20),),
        subject="Return the desk lamp",
        body="""Hi, I'd like to return the Aurora desk lamp from order {r1.number}. The light is \
way too cold/blue for my room, even on the warmest setting. It's in perfect condition. How do I \
return it and when do I get the refund?

Gracias,
Jorge""",
    ),
    T(
        key="cancelled_order_money",
        customer="ethan.brooks",
        category=Cat.REFUND,
        priority=Pri.NORMAL,
        status=St.NEW,
        hours_ago=40,
        orders=(
            Ord(
                "r2",
                "ethan.brooks",
                "Aluminium laptop stand",
                "48.95",
                days_ago=4,
                status="cancelled",
            ),
        ),
        subject="Cancelled my order but the money is still gone",
        body="""I cancelled order {r2.number} an hour after placing it on {r2.charged} (ordered \
the wrong colour) and got the cancellation email. But the ${r2.amount} is still showing on my bank \
account. When do I get it back???""",
    ),
    T(
        key="smelly_desk_mat",
        customer="zara.ahmed",
        category=Cat.REFUND,
        priority=Pri.LOW,
        status=St.NEW,
        hours_ago=22,
        orders=(
            Ord(
                "r3",
                "zara.ahmed",
                "Felt desk mat, large",
                "33.95",
                days_ago=7,
                delivered_days_ago=3,
            ),
        ),
        subject="Desk mat has a strong chemical smell",
        body="""The felt desk mat ({r3.number}) smells really strongly of chemicals. It's been \
airing out on the balcony for three days and it's still bad, I don't want it on my desk. Can I \
get a refund? I'd rather not pay return shipping for a mat tbh.

Zara""",
    ),
    # --- shipping ------------------------------------------------------------------------------
    T(
        key="where_is_my_mouse",
        customer="emily.nguyen",
        category=Cat.SHIPPING,
        priority=Pri.LOW,
        status=St.NEW,
        hours_ago=6,
        orders=(
            Ord("s1", "emily.nguyen", "Ergo vertical mouse", "54.95", days_ago=3, status="shipped"),
        ),
        subject="Where is my order?",
        body="""hi! ordered the vertical mouse {s1.number} on {s1.charged}, it says shipped but \
the tracking link just says "label created". is it actually on its way?

thx, Emily""",
    ),
    T(
        key="address_change",
        customer="ryan.mitchell",
        category=Cat.SHIPPING,
        priority=Pri.HIGH,
        status=St.NEW,
        hours_ago=3,
        orders=(
            Ord(
                "s2",
                "ryan.mitchell",
                "Dock-7 USB-C docking station",
                "138.95",
                days_ago=0.3,
                status="paid",
            ),
        ),
        subject="Wrong delivery address on my order!",
        body="""I just placed order {s2.number} and realised it's going to my old apartment. New \
address:

2217 Larkin St, Apt 4
San Francisco, CA 94109

Please change it before it ships!!
Ryan""",
    ),
    T(
        key="delivered_not_received",
        customer="olivia.park",
        category=Cat.SHIPPING,
        priority=Pri.HIGH,
        status=St.OPEN,
        hours_ago=20,
        assignee="tom",
        orders=(
            Ord(
                "s3",
                "olivia.park",
                "Aluminium laptop stand",
                "48.95",
                days_ago=7,
                delivered_days_ago=1,
            ),
        ),
        subject="Tracking says delivered, nothing arrived",
        body="""Tracking for {s3.number} says delivered on {s3.delivered}, "left at front door", \
but there was nothing there and I was home all day. My neighbours haven't seen it either.

Olivia Park""",
        thread=(
            M(
                "tom",
                "Asked the carrier for GPS and photo proof of delivery. Shipping policy: wait up "
                "to 2 business days for the carrier before reshipping.",
                2,
                internal=True,
            ),
            M(
                "tom",
                "Hi Olivia, sorry about this! I've asked the carrier for the GPS location and the "
                "photo of the delivery. I'll get back to you within 2 business days, and if they "
                "can't show where it was left we'll send a replacement free of charge.\n\n"
                "Tom, Deskwise Support",
                2.2,
            ),
        ),
    ),
    T(
        key="ship_to_canada",
        customer="claire.fontaine",
        category=Cat.SHIPPING,
        priority=Pri.LOW,
        status=St.NEW,
        hours_ago=50,
        subject="Do you ship to Canada?",
        body="""Bonjour,

I am moving to Montréal in two months. Do you ship there? And can I keep my Pro subscription \
with a Canadian card?

Merci,
Claire Fontaine""",
    ),
    # --- damaged items -------------------------------------------------------------------------
    T(
        key="flickering_lamp",
        customer="ben.carter",
        category=Cat.DAMAGED_ITEM,
        priority=Pri.NORMAL,
        status=St.NEW,
        hours_ago=9,
        orders=(
            Ord(
                "d1",
                "ben.carter",
                "Aurora LED desk lamp",
                "98.95",
                days_ago=6,
                delivered_days_ago=3,
            ),
        ),
        subject="Lamp flickers right out of the box",
        body="""The Aurora lamp from order {d1.number} flickers constantly at anything below 50% \
brightness. Took a short video, attaching it. Tried a different outlet, same thing. It's \
defective, I'd like a replacement please.

- Ben""",
    ),
    T(
        key="keyboard_missing_keys",
        customer="william.hughes",
        category=Cat.DAMAGED_ITEM,
        priority=Pri.NORMAL,
        status=St.NEW,
        hours_ago=12,
        # Delivered 16 days ago: past the 14-day damage report window (warranty route instead).
        orders=(
            Ord(
                "d2",
                "william.hughes",
                "QuietType wireless keyboard",
                "68.95",
                days_ago=20,
                delivered_days_ago=16,
            ),
        ),
        subject="Keyboard missing two keycaps",
        body="""Hello,

I've only just opened the QuietType keyboard (order {d2.number}, delivered {d2.delivered}), I was \
travelling. Two keycaps (F and J) are missing from the box and the J switch looks bent. Photo \
attached. What can you do?

William Hughes""",
    ),
    T(
        key="torn_cushion",
        customer="henry.walsh",
        category=Cat.DAMAGED_ITEM,
        priority=Pri.LOW,
        status=St.PENDING,
        hours_ago=80,
        assignee="maria",
        orders=(
            Ord(
                "d3",
                "henry.walsh",
                "Memory-foam seat cushion",
                "43.95",
                days_ago=8,
                delivered_days_ago=4,
            ),
        ),
        subject="Cushion arrived torn",
        body="""The box for order {d3.number} arrived crushed and the cushion cover is torn along \
the seam. Not what I expect for the price.

Henry""",
        thread=(
            M(
                "maria",
                "Hi Henry, sorry it arrived like that. Could you send us a photo of the torn seam "
                "and one of the box label? As soon as we have them we'll ship a replacement.\n\n"
                "Maria, Deskwise Support",
                6,
            ),
        ),
    ),
)
