"""The demo business's contact-reason catalogue: 18 sub-reasons under 9 parents, with phrasings.

Each reason carries the customer's and the agent's phrase templates; `{slot}` markers are filled by
`pipelines.demo.phrases` from the slot values below, so every reason has hundreds of distinct
wordings. The wording is deliberately reason-specific (a topic model must be able to find the
reasons) and mood-bearing (sentiment models must have signal).
"""

from __future__ import annotations

from dataclasses import dataclass

CHANNELS = ("call", "chat", "email", "social")


@dataclass(frozen=True)
class Reason:
    """One contact reason (sub-reason) and how customers and agents talk about it."""

    key: str
    parent: str
    label: str
    weight: float                       # share of base volume (normalised over all reasons)
    channels: tuple[float, float, float, float]  # call, chat, email, social mix
    p_resolved: float                   # chance the first contact resolves it
    p_negative: float                   # chance the customer starts upset
    queue: str
    opens: tuple[str, ...]              # the customer's statement of the problem
    details: tuple[str, ...]            # the customer's detail when asked
    follows: tuple[str, ...]            # the customer's follow-up questions
    actions: tuple[str, ...]            # what the agent does
    resolves: tuple[str, ...]           # the agent's resolution statement
    subjects: tuple[str, ...]           # email subject lines


SLOTS: dict[str, tuple[str, ...]] = {
    "amount": ("£12.99", "£24.50", "£39.99", "£45.00", "£59.90", "£74.20", "£89.99", "£120.00", "£15.75", "£33.40"),
    "fee": ("£5 late fee", "£7.50 admin fee", "£10 paper bill fee", "£12 out-of-bundle charge", "£4.99 service charge", "£25 early upgrade fee"),
    "order": ("#NW48213", "#NW50977", "#NW51302", "#NW47720", "#NW52018", "#NW49561", "#NW53390", "#NW50214"),
    "device": ("router", "new phone", "smart hub", "tablet", "mesh extender", "set-top box", "smartwatch"),
    "country": ("Spain", "France", "the US", "Italy", "Portugal", "Greece", "Turkey", "Germany"),
    "plan": ("Basic 10GB", "Unlimited Plus", "Family Share", "Fibre 500", "Business Pro", "SIM-only 30GB"),
    "days": ("three days", "a week", "five days", "two weeks", "ten days", "four days"),
    "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "the weekend"),
    "area": ("Leeds", "north Manchester", "Bristol", "the city centre", "Croydon", "Glasgow south", "my postcode"),
    "courier": ("the courier", "the driver", "the delivery company", "your courier"),
    # Fake PII so that redaction has something to find: Luhn-valid test card numbers, fiction
    # phone ranges, reserved e-mail domains.
    "card": ("4111 1111 1111 1111", "5555 5555 5555 4444", "4012 8888 8888 1881", "3782 822463 10005"),
    "phone": ("07700 900123", "+44 7700 900456", "07700 900789", "+44 20 7946 0321"),
    "email": ("sam.jones@example.com", "k.patel@example.net", "maria.lopez@mail.example", "tom99@example.org"),
}

R = Reason  # short alias for the table below

CATALOGUE: tuple[Reason, ...] = (
    R("billing_double_charge", "Billing", "Double charge", 0.035, (0.55, 0.15, 0.20, 0.10), 0.35, 0.85, "billing",
      ("I've been charged twice for my bill this month", "you took {amount} out of my account two times",
       "there are two identical payments of {amount} on my statement", "my direct debit went out twice",
       "I was double charged for the same bill", "why did you bill me twice this month",
       "the same {amount} payment has been taken twice from my card", "I see a duplicate charge on my bank account"),
      ("both payments were taken on {weekday}, same amount, {amount}", "it's the monthly bill, it shows twice on my bank statement",
       "the duplicate left me overdrawn and my bank charged me too", "I checked my banking app and there are two debits for {amount}"),
      ("when will I get the second payment back", "is this going to happen again next month",
       "I was told last time it was fixed and it happened again", "can you make sure this doesn't happen again"),
      ("I can see the duplicate payment of {amount} on your account", "I've raised a refund for the second charge",
       "I can confirm we took the payment twice, that's our billing error"),
      ("the duplicate charge will be refunded within 3 to 5 working days", "I've reversed the second payment and added a note to your account"),
      ("Charged twice", "Double charge on my account", "Duplicate payment taken", "Billed twice AGAIN")),
    R("billing_unexpected_fee", "Billing", "Unexpected fee", 0.055, (0.45, 0.25, 0.20, 0.10), 0.65, 0.7, "billing",
      ("there's a {fee} on my bill I never agreed to", "what is this {fee} on my bill",
       "my bill is higher than usual and I don't understand why", "I've been charged a {fee} out of nowhere",
       "nobody told me about a {fee}", "my bill went up by {amount} without any notice"),
      ("it appeared on this month's bill", "I always pay on time so I don't see why there's a {fee}",
       "the bill says {amount} but my plan is much cheaper"),
      ("can you remove the fee", "why wasn't I told about this before", "will it be on every bill from now on"),
      ("I can see the {fee} on your latest bill", "let me explain what that charge is for", "I've looked at the breakdown of your bill"),
      ("I've removed the {fee} as a goodwill gesture", "the charge has been credited back to your account"),
      ("Unexpected charge on bill", "What is this fee?", "Bill higher than expected")),
    R("billing_refund_status", "Billing", "Refund status", 0.045, (0.45, 0.30, 0.20, 0.05), 0.6, 0.55, "billing",
      ("I'm still waiting for my refund", "where is my refund of {amount}", "I was promised a refund {days} ago and nothing",
       "can you tell me the status of my refund", "my refund still hasn't arrived"),
      ("the refund was for {amount} after I returned the item", "I returned order {order} and haven't had the money back",
       "your colleague said it would take five days, it's been {days}"),
      ("when exactly will it reach my account", "can I get a reference number for the refund"),
      ("let me check the refund on your account", "I can see the refund request for {amount}"),
      ("the refund was processed today and should reach your bank in 3 working days", "I've chased the refund and it's now approved"),
      ("Refund status", "Where is my refund?", "Still no refund")),
    R("delivery_late", "Delivery", "Late delivery", 0.070, (0.40, 0.25, 0.20, 0.15), 0.6, 0.7, "orders",
      ("my order {order} still hasn't arrived", "my delivery is late again", "the parcel was due {weekday} and nothing came",
       "where is my order, it's been {days}", "the tracking hasn't updated in {days}", "I've been waiting in all day for a delivery that never came"),
      ("the order number is {order}", "tracking says out for delivery but nothing turned up", "it was supposed to arrive {weekday}, I paid for next day delivery"),
      ("can you give me an actual delivery date", "can I get my delivery charge back", "should I just cancel the order"),
      ("let me check the tracking for order {order}", "I can see the parcel is delayed at the depot", "I've contacted {courier} about your parcel"),
      ("your parcel is booked for delivery tomorrow and I've refunded the delivery charge", "I've arranged a priority redelivery for you"),
      ("Where is my order?", "Late delivery {order}", "Parcel not arrived")),
    R("delivery_damaged", "Delivery", "Damaged item", 0.025, (0.40, 0.25, 0.30, 0.05), 0.7, 0.75, "orders",
      ("my {device} arrived damaged", "the box was crushed and the {device} is broken", "the screen of the {device} is cracked out of the box",
       "the item I received doesn't work, it looks dropped"),
      ("the order is {order}, it came on {weekday}", "I have photos of the damage", "{courier} just left it at the door and it was soaking wet"),
      ("do I need to send it back first", "how long will a replacement take"),
      ("I'm sorry it arrived in that condition", "I've booked a collection for the damaged {device}"),
      ("a replacement {device} is on its way and will arrive in two days", "I've issued a full refund for the damaged item"),
      ("Item arrived damaged", "Broken {device}", "Damaged delivery {order}")),
    R("delivery_wrong_item", "Delivery", "Wrong item", 0.020, (0.40, 0.30, 0.25, 0.05), 0.7, 0.6, "orders",
      ("I received the wrong item", "you sent me a {device} instead of what I ordered", "the parcel had someone else's order in it",
       "wrong colour and wrong model in my delivery"),
      ("I ordered a {device}, order {order}", "the label has my name but the item is wrong"),
      ("do I keep it or send it back", "will I get the right one this week"),
      ("I've arranged a free return for the wrong item", "let me send the correct {device} out today"),
      ("the correct item is dispatched and the return label is in your email", "you'll get the right item by {weekday}"),
      ("Wrong item received", "Incorrect order {order}")),
    R("account_login_failure", "Account", "Login failure", 0.050, (0.15, 0.65, 0.10, 0.10), 0.4, 0.7, "tech",
      ("I can't log in to my account on the website", "the website login keeps failing", "your site says my password is wrong but it isn't",
       "I get an error every time I try to sign in online", "the login page just spins and then times out",
       "I'm locked out of my online account", "I can't get into the app or the website"),
      ("it says 'something went wrong, try again later'", "I've tried on my laptop and my phone, same error",
       "I reset the password twice and it still won't let me in", "the verification code never arrives"),
      ("is the website down", "I need to pay my bill and I can't get in", "how am I supposed to manage my account if the site doesn't work"),
      ("let me check your online account", "I can see several failed login attempts", "we're aware of an issue with the web login"),
      ("I've unlocked your account and the login works now", "our team has fixed the login issue, please try again"),
      ("Can't log in", "Login not working", "Website login error")),
    R("account_password_reset", "Account", "Password reset", 0.030, (0.30, 0.40, 0.20, 0.10), 0.85, 0.3, "tech",
      ("I need to reset my password", "I forgot my password", "the password reset email never came",
       "how do I change my password"),
      ("I've checked my spam folder", "the reset link says it has expired"),
      ("can you send the link again", "does the new password need a number"),
      ("I'll send you a new password reset link", "let me verify a few details first"),
      ("the reset link is on its way, it's valid for 24 hours", "your password has been reset successfully"),
      ("Password reset", "Forgot password")),
    R("account_update_details", "Account", "Update details", 0.035, (0.40, 0.35, 0.20, 0.05), 0.9, 0.15, "accounts",
      ("I need to update my address", "I want to change the card you have on file", "I've moved house and need to update my details",
       "can I change the email on my account", "I'd like to update my phone number to {phone}"),
      ("the new card is {card}", "my new address is in {area}", "please use {email} from now on"),
      ("will this change my direct debit date", "do I need to do anything else"),
      ("I can update that for you now", "let me just go through security first"),
      ("your details are updated", "all done, the changes show on your account now"),
      ("Change of details", "Update my address", "New payment card")),
    R("plan_change", "Plan", "Plan change", 0.050, (0.45, 0.25, 0.20, 0.10), 0.85, 0.2, "sales",
      ("I'd like to upgrade my plan", "I want to move to {plan}", "can I switch to a cheaper plan",
       "I'm not using all my data, I want to downgrade", "what plans do you have for a family"),
      ("I'm currently on {plan}", "I use a lot more data since working from home"),
      ("is there a discount if I sign up for 24 months", "when does the new plan start"),
      ("I can move you to {plan} today", "let me check what plans you're eligible for"),
      ("your plan change is confirmed and starts from your next bill", "I've applied the upgrade and a discount for the first 3 months"),
      ("Plan change", "Upgrade to {plan}", "Downgrade request")),
    R("cancellation", "Plan", "Cancellation", 0.040, (0.55, 0.15, 0.25, 0.05), 0.5, 0.75, "retention",
      ("I want to cancel my contract", "please cancel my account", "I'm leaving, how do I cancel",
       "I've had enough, I want to close my account", "I found a better deal elsewhere and want to cancel"),
      ("I'm on {plan} and the price keeps going up", "after all the problems I've had I'm done", "the contract ends this month"),
      ("is there a cancellation fee", "do I need to send the {device} back"),
      ("I'm sorry to hear you want to leave", "before you go, I can offer you a better price on {plan}"),
      ("your cancellation is booked for the end of this billing period", "I've applied a retention discount and you're staying with us"),
      ("Cancel my account", "Cancellation request", "Close my account")),
    R("service_outage", "Service", "Outage", 0.055, (0.40, 0.15, 0.05, 0.40), 0.5, 0.8, "tech",
      ("my internet is down", "no signal at all since this morning", "the broadband has been dropping all day",
       "is there an outage in {area}", "my whole street has no service", "internet down AGAIN"),
      ("I live in {area}", "I've restarted the {device} three times", "it went off around 8am on {weekday}"),
      ("when will it be back", "will I get compensation for the days without service", "I work from home, I can't do my job"),
      ("there is a known outage in {area}", "let me run a line test", "our engineers are working on the fault"),
      ("the service should be restored by this evening and I've added compensation to your bill", "the line test passed and your connection is back"),
      ("No internet", "Outage in {area}", "Service down")),
    R("device_setup", "Service", "Device setup", 0.040, (0.45, 0.35, 0.15, 0.05), 0.8, 0.3, "tech",
      ("I can't set up my new {device}", "how do I connect the {device}", "the {device} won't pair with my phone",
       "the lights on the {device} keep flashing orange"),
      ("I followed the instructions in the box", "it's the {device} that came last {weekday}"),
      ("do I need an engineer", "what should the lights look like"),
      ("let's go through the setup together", "please hold the reset button for ten seconds"),
      ("the {device} is now connected", "great, the setup is complete"),
      ("Help setting up {device}", "Device setup problem")),
    R("roaming", "Service", "Roaming", 0.030, (0.45, 0.30, 0.15, 0.10), 0.75, 0.5, "tech",
      ("my phone doesn't work in {country}", "I got a huge roaming bill after my trip to {country}",
       "how much is roaming in {country}", "no data while I'm abroad in {country}"),
      ("I'm on {plan}, I thought roaming was included", "I turned on data roaming and still nothing"),
      ("can you add a travel pass", "will I be charged for the calls I made"),
      ("let me check roaming on your line", "I'll add the travel add-on for you"),
      ("roaming is now enabled on your line", "I've refunded the roaming charges as a one-off"),
      ("Roaming in {country}", "Roaming charges", "No service abroad")),
    R("payment_arrangement", "Payments", "Payment arrangement", 0.030, (0.45, 0.25, 0.25, 0.05), 0.8, 0.4, "collections",
      ("I can't pay my bill this month", "I need more time to pay", "can I set up a payment plan",
       "my payment is going to be late again this month", "can I move my payment date to after payday"),
      ("I get paid on the 28th", "I can pay {amount} now and the rest next week"),
      ("will I get a late fee", "will this affect my credit score"),
      ("I can set up a payment arrangement for you", "let me look at your payment history"),
      ("the arrangement is in place, no late fee will be charged", "I've moved your payment date to the 28th"),
      ("Payment arrangement", "Late payment", "Need more time to pay")),
    R("complaint_agent", "Feedback", "Complaint about agent", 0.020, (0.45, 0.15, 0.30, 0.10), 0.5, 0.95, "complaints",
      ("I want to complain about the agent I spoke to", "your colleague was rude to me", "the last person hung up on me",
       "I was promised a callback and nobody called", "the advisor gave me wrong information"),
      ("it was on {weekday}, I was on hold for 40 minutes", "he didn't listen and just read a script"),
      ("I want this escalated", "can I speak to a manager"),
      ("I'm really sorry about your experience", "I've logged your complaint with the team leader"),
      ("a manager will call you back within 24 hours", "I've raised the complaint and credited your account"),
      ("Complaint", "Formal complaint about service", "Rude advisor")),
    R("praise", "Feedback", "Praise", 0.015, (0.30, 0.25, 0.20, 0.25), 0.98, 0.0, "general",
      ("I just wanted to say thank you", "the engineer who came was brilliant", "great service today, well done",
       "your agent sorted everything in five minutes"),
      ("she was patient and explained everything", "it's rare to get such good service"),
      ("please pass on my thanks",),
      ("that's so kind of you to let us know", "I'll pass your feedback on to the team"),
      ("thank you for taking the time to tell us",),
      ("Thank you", "Great service", "Compliment")),
    R("sim_activation", "Service", "SIM activation", 0.025, (0.40, 0.40, 0.10, 0.10), 0.85, 0.35, "tech",
      ("my new SIM isn't working", "the SIM card says not activated", "I ported my number but the SIM has no service",
       "I can't activate my eSIM"),
      ("it's been {days} since I put it in", "it shows 'SIM not provisioned'"),
      ("will I keep my old number", "how long does the transfer take"),
      ("let me check the activation status", "I'll push the activation through now"),
      ("your SIM is active now, please restart the phone", "the number port completes tonight"),
      ("SIM not working", "eSIM activation", "Number transfer")),
)

BY_KEY: dict[str, Reason] = {r.key: r for r in CATALOGUE}
PARENTS: tuple[str, ...] = tuple(dict.fromkeys(r.parent for r in CATALOGUE))
