"""Complaint prototypes: how close a message is, in embedding space, to complaint sentences.

An optional signal of the complaint score (`complaint.py`): the similarity of a message to
hand-written complaint sentences against other support messages. Built once per embedder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from app.ground.embedding import Embedder

# Written for this module, deliberately about businesses other than the ones in our
# evaluation sets (shops, software, energy, insurance, gyms, streaming, car hire), so that the
# similarity carries the *shape* of a complaint rather than a topic.
_COMPLAINT_PROTOTYPES = (
    "This is the worst customer service I have ever dealt with.",
    "I am really disappointed with how my case has been handled.",
    "The app crashes every time I open it and nobody has fixed it in weeks.",
    "My order arrived broken and I want a full refund.",
    "I have emailed you four times and still have not had a reply.",
    "You took the payment twice and now I am overdrawn because of your mistake.",
    "Thanks for nothing, the engineer never turned up.",
    "Great, the update deleted all my settings again. Brilliant work.",
    "I was told it would be sorted within a day and it has been two weeks.",
    "Why do I have to explain the same problem to every agent I speak to?",
    "Your staff were rude and unhelpful when I asked a simple question.",
    "I'm sorry to say the quality has gone downhill and I expected much better.",
    "The gym was closed again with no notice, what am I paying for?",
    "I want to make a formal complaint about the charges on my account.",
    "The energy bill is double what it should be and no one can explain why.",
    "I have been waiting on hold for an hour, this is unacceptable.",
    "The item I received is not what was advertised at all.",
    "If this is not fixed today I am cancelling and going to a competitor.",
    "Streaming keeps freezing in the middle of every film, it is useless.",
    "The rental car had a flat tyre and the desk refused to help.",
    "You promised a call back yesterday and of course nobody called.",
    "The insurance claim has been stuck for a month with no update at all.",
    "Absolutely fed up with this, it never works when I need it.",
    "I'm afraid the replacement you sent is faulty as well, which is very frustrating.",
    "Still waiting. Day five.",
    "Is anyone actually reading these messages?",
    "So that's it? No explanation, no apology?",
    "Third replacement charger and this one died too.",
    "Your website says in stock, the shop says it isn't. Which is it?",
    "Paid for premium and the adverts are still there.",
    "Lovely, the price went up again and the service got worse.",
    "Two hours in the queue and then the line went dead.",
    "I shouldn't have to chase you every week for my own money.",
    "Not the first time and clearly not the last.",
    "Every month there's a new surprise fee on my statement.",
    "The instructions are wrong and the part doesn't fit.",
    "Hello? I asked a question three days ago.",
    "Honestly, I expected a lot more for the price.",
    "Your new update broke the one feature I actually used.",
    "They promised delivery Tuesday. It's Friday.",
)
_OTHER_PROTOTYPES = (
    "How do I change the email address on my account?",
    "What are your opening hours on weekends?",
    "Can I return an item I bought online to a store?",
    "Do you ship to Ireland?",
    "Thank you so much, the problem is fixed now.",
    "The support agent was fantastic and solved it in minutes.",
    "I love the new version of the app, great work.",
    "Could you send me a copy of my last invoice please?",
    "I forgot my password, how can I reset it?",
    "I accidentally deleted a file, is there a way to get it back?",
    "Is the premium plan available for students?",
    "Hi, I'd like to update my payment details.",
    "How long does a standard delivery usually take?",
    "Please cancel my gym membership from next month, I'm moving abroad.",
    "Does the warranty cover accidental damage?",
    "The screen on my tablet flickers sometimes, how can I fix it?",
    "Just checking whether my order has been dispatched yet.",
    "Brilliant service as usual, thanks to the team.",
    "Where can I find the user manual for this model?",
    "Can I book a test drive for Saturday morning?",
    "Good morning, I have a question about my policy renewal.",
    "Is there a discount if I pay for the whole year upfront?",
    "Thanks for the quick reply, that answers my question.",
    "What is the difference between the basic and the family plan?",
    "Just placed my first order, excited to try it!",
    "My sister recommended you, so here I am.",
    "Looking forward to the new season starting next week.",
    "Is the sale on in stores as well or only online?",
    "I sent you a message with my account details.",
    "Ok, I've followed you now so you can message me.",
    "What time does the Saturday class start?",
    "Happy to help test the beta if you need volunteers.",
    "Got it, I'll try that this evening and let you know.",
    "Can I pick up the order on behalf of my partner?",
    "My account number is in the email I sent this morning.",
    "No worries, it turned up this afternoon. Thanks anyway!",
    "Will the discount still apply if I upgrade later?",
    "The new colours look great, when do they arrive in shops?",
    "Just wanted to say your staff in the city centre store are lovely.",
    "Yes, that's the right address, thanks for checking.",
)


class ComplaintPrototypes:
    """How much closer a message is to complaint sentences than to other support messages.

    Built once per embedder (it embeds the prototypes) and passed to `triage`. The raw
    margin (cosine to the nearest complaints less cosine to the nearest others) has an
    offset and a scale that depend on the model and on the prototypes; both are read off
    the prototypes themselves (each scored against the others), not off any data set, so
    that +1 means "as complaint-like as our complaint prototypes" and -1 the opposite.
    """

    _NEAREST = 3

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._complaints = embedder.embed_documents(list(_COMPLAINT_PROTOTYPES))
        self._others = embedder.embed_documents(list(_OTHER_PROTOTYPES))
        inner = [self._raw(v, skip_complaint=i) for i, v in enumerate(self._complaints)]
        outer = [self._raw(v, skip_other=i) for i, v in enumerate(self._others)]
        complaint_mean, other_mean = float(np.mean(inner)), float(np.mean(outer))
        self._center = (complaint_mean + other_mean) / 2
        self._half_gap = max((complaint_mean - other_mean) / 2, 1e-3)

    def margin(self, text: str) -> float:
        """The normalised margin of a message: about +1 for a typical complaint prototype,
        -1 for a typical other one, clipped to -2..2."""
        vector = self._embedder.embed_query(text)
        # Clipped: one signal, however far out, should not outvote all the others.
        return max(-2.0, min(2.0, (self._raw(vector) - self._center) / self._half_gap))

    def _raw(self, vector: Any, *, skip_complaint: int = -1, skip_other: int = -1) -> float:
        complaints = self._complaints @ vector
        others = self._others @ vector
        if skip_complaint >= 0:
            complaints = np.delete(complaints, skip_complaint)
        if skip_other >= 0:
            others = np.delete(others, skip_other)
        near = self._NEAREST
        return float(np.sort(complaints)[-near:].mean() - np.sort(others)[-near:].mean())
