"""The complaint signals: what complaints to any business say, as regular expressions.

Each pattern names one signal (a failure of the service, being ignored, a demand, sarcasm,
frustrated typing, the customer's own mistake, ...); `complaint.py` decides which fire and
weighs them. Kept apart from the weighing because the wording is long and grows on its own
(a new phrase customers use), while the arithmetic does not.

These rules are the fallback: the chat's triage uses the learned models (app/learned) and
falls back here only for a task with no model stored. Phrases true of one industry only
(flights missed, rebooked, diverted; "never fly again") were taken out: the learned models
learn an industry's wording from its own examples.
"""

from __future__ import annotations

import re


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# Each names something true of complaints to any business, in words customers actually use.

# The service did not do what it should have.
FAILURE = _rx(
    r"\b(?:delay(?:ed|s)?|(?<!i )(?<!we )(?<!i've )(?<!i have )cancel+(?:ed|ation)"
    r"|(?:was|is|are|were|running|arrived|came|so|very|hours?|minutes?|mins?|days?) late"
    r"|(?<!i )(?<!we )(?<!i've )(?<!we've )lost (?:my|our|the)|losing (?:my|our)|missing"
    r"|never (?:arrived|came|showed|turned up|got|received|delivered|answered|called)"
    r"|(?:hasn't|has not|haven't|have not|hadn't|didn't|did not|not yet|still not) (?:been )?"
    r"(?:arrived|come|received|delivered|refunded|fixed|resolved|credited|processed|heard|hear"
    r"|got|rescheduled|replaced|repaired|returned|contacted|called back)"
    r"|not (?:working|delivered|received|arrived|fixed|resolved|refunded|loading|connecting)"
    r"|(?:doesn't|does not|didn't|did not|won't|will not|isn't|is not|aren't) (?:seem to )?"
    r"(?:work|load|connect|open|start|turn on|charge)(?:ing)?\b"
    r"|stopped working|out of (?:order|service)|broke down"
    r"|(?:can't|cannot|can not|couldn't|unable to) (?:get|reach|connect|log ?in|sign ?in|access"
    r"|receive|make|use|pay|find|book|check ?in|speak|talk|load)"
    r"|broken|damaged|crushed|ruined|faulty|defective|spoiled|stained|dirty|filthy|leaking"
    r"|wrong (?:item|order|size|room|dish|meal|address|charge|amount|bill|parcel|package|bag)"
    r"|charged (?:me )?(?:twice|double|again|extra|for nothing)|double[- ]charged|overcharg\w*"
    r"|outage|down again|(?:dropped|drops|dropping|cut|cuts|cutting|kicked) (?:out|off)"
    r"|keeps? (?:crashing|dropping|failing|freezing|logging|disconnecting|cutting)"
    r"|no (?:sign of )?(?:my |the )?(?:parcel|package|delivery|order|item|food|bags?|luggage"
    r"|refund|money|driver|rider|engineer|technician|signal|internet|service|wi-?fi|power"
    r"|connection|hot water)\b"
    r"|still (?:nothing|not|no)\b|behind schedule|(?:make|made|making|makes) (?:me|us) miss"
    r"|(?:will|going to|gonna) miss (?:my|our|the)"
    r"|missed (?:my|our) (?:meeting|appointment|event)"
    r"|downgraded|not (?:on time|honou?red)"
    r"|(?:keeps?|kept) (?:getting )?(?:changing|changed|cancel\w*|delay\w*)"
    r"|(?:was|were) supposed to (?:be|arrive|get|come|open|start)"
    # Left stuck somewhere or with something (not a screen "stuck on boot": that is a
    # symptom to troubleshoot, and says nothing about the customer's patience).
    r"|(?:i'm|i am|we're|we are|been|got|get|getting|now|still|left) stuck\b"
    r"|stuck (?:in|at|here|with)\b)"
)
# Nobody answered, listened or warned: the customer was left alone with the problem.
NEGLECT = _rx(
    r"\b(?:no(?:body| one|-one)\b(?! else)"
    r"|no (?:response|reply|replies|answer|update|updates|help|info|information|call ?back"
    r"|explanation|apology|warning|notice|communication|contact)"
    r"|not (?:a|one|even an?) (?:single )?(?:reply|response|word|call|email|apology|update)"
    r"|without (?:any |a )?(?:warning|notice|explanation|reason|apology|update)"
    r"|on hold|hung up|ignor(?:ed|ing)"
    r"|(?:didn't|did not|never|won't|wouldn't|doesn't|don't) (?:even )?(?:bother|care|listen"
    r"|respond|reply|answer|call|get back|show up|turn up|apologi[sz]e|help|helped)"
    r"|keeps? getting (?:automated|the same)|(?:round|around) in circles|passed (?:around|from)"
    r"|can't get (?:through|hold|an answer|a straight answer|anyone)"
    r"|still no (?:\w+ )?(?:reply|response|answer|update|word)"
    r"|still waiting|waiting for (?:someone|anyone|somebody|a (?:call|reply|response|callback"
    r"|call back)|an? (?:answer|update|agent|rep\w*))"
    r"|(?:waiting|holding|waited|on the phone|on hold|sitting|sat|stuck)\b(?: \w+){0,4}"
    r" for (?:over |more than |almost |nearly |about )?(?:an?|one|two|three|four|five|six|\d+)"
    r"[\s-]*(?:hours?|hrs?|mins?|minutes?|days?|weeks?)\b"
    r"|(?:waiting|wait|waited|on hold|holding)\b[^.!?]{0,25}?\b(?:\d+|an?|one|two|three|four|five"
    r"|six|several)\+? ?(?:hours?|hrs?|mins?|minutes?|days?)\b"
    r"|\b\d+\+? ?(?:hours?|hrs?|mins?|minutes?|days?) (?:of )?(?:waiting|wait|on hold|in line)"
    r"|any(?:one|body) (?:there|home|listening|out there|awake|working)"
    r"|(?:won't|wouldn't|didn't|don't|doesn't|refuse[sd]? to|can't|couldn't) (?:even )?"
    r"(?:tell|inform|update|explain)\b|disconnected (?:me|us)"
    r"|not even (?:\w+ ){0,3}(?:an? )?(?:response|reply|answer|acknowledg\w*|apology|call)"
    r"|(?:little|zero|no) (?:help|assistance|support|communication)|(?:the )?run ?around"
    r"|(?:isn't|aren't|not|stopped) (?:answering|responding|replying|picking up)"
    r"|hangs? up on|no (?:return call|call ?back|callback))"
)
# It has gone on for long or happened before.
PERSISTENCE = _rx(
    r"\b(?:still|again|yet again|once again|every (?:single )?(?:time|day|month|week|evening"
    r"|night)|each time|in a row|already"
    r"|(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time"
    r"|(?:two|three|four|five|six|several|many|multiple|\d+) (?:times|calls|emails|attempts)"
    r"|for (?:over |more than |nearly |almost )?(?:an?|one|two|three|four|five|six|several|\d+)"
    r" (?:hours?|hrs?|days?|weeks?|months?|minutes?|mins?)\b"
    r"|since (?:yesterday|last|this morning|monday|tuesday|wednesday|thursday|friday"
    r"|saturday|sunday|\d)|and counting)"
)
# The customer says they are unhappy, or judges the service harshly.
DISSATISFIED = _rx(
    r"\b(?:disappoint\w*|unhappy|dissatisf\w*|frustrat\w*|annoy\w*|upset|angry|furious|livid"
    r"|not (?:happy|impressed|pleased|satisfied|ok|okay|acceptable|good enough|fair)"
    r"|fed up|sick (?:and tired )?of|tired of|unacceptable|ridiculous|absurd|outrageous"
    r"|shameful|disgrace\w*|disgusting|appalling|shocking|pathetic|poor (?:service|handling"
    r"|show|communication|experience|quality)|let down|expected (?:better|more)"
    r"|(?:raise|make|file|lodge|submit) a (?:formal )?complaint|complain\w*|misleading"
    r"|insulting|a joke|rubbish|junk|useless|terrible|awful|horrible|worst|incompetent"
    r"|clueless|nightmare|scam|rip[- ]?off|waste of|wasted|costing me|cost me|rude|unhelpful"
    r"|unprofessional|sucks?|garbage|trash|hopeless|inexcusable|dangerous|no clue|zero clue"
    r"|drop(?:ped)? the ball|epic ?fail|fail|inconvenien\w*|stinks?"
    r"|(?:isn't|is not|wasn't|was not|not) (?:very |actually |really |at all )?helpful"
    r"|unreliable|disorgani[sz]ed|poorly|shame|not cool|no excuse|deceptive|dishonest|lied"
    r"|lying|liars?|misled|false advertising|(?:doesn't|does not) excuse"
    r"|(?:isn't|is not|wasn't|was not|not) good enough)\b"
    # A hashtag is a verdict written for other readers (#worstservice, #neveragain).
    r"|#\w*(?:fail|worst|bad|terrible|awful|horrible|sucks?|never|disappoint|angry|lame|poor"
    r"|rude|shame|ugh|not ?happy|frustrat|annoy|joke|mess)\w*"
)
# Asking for something back or for things to be put right.
DEMAND = _rx(
    r"\b(?:(?:i|we) (?:want|demand|expect|deserve|need|would like|'d like|insist on)\b.{0,25}"
    r"\b(?:refund|compensation|money back|reimburse\w*|explanation|apology|correction|answers?"
    r"|credit|voucher)|money back|refund me|compensate me|reimburse me|make (?:it|this|things)"
    r" right|sort (?:it|this) out|do better|get your act together|(?:give|pay) me back"
    r"|pick up (?:the|your) phones?|answer (?:the|your) (?:phones?|calls?)|hire more"
    r"|(?:you|they) (?:should|need to|ought to) (?:waive|refund|compensate|fix|hire|train"
    r"|communicate|improve|be ashamed|do better|step up)|be ashamed)"
    r"|(?:^|[.!?]\s*)(?:stop|quit) \w+ing\b"
    # Wanting a person after dealing with the channel: the channel has not helped.
    r"|\b(?:speak|talk|chat)(?:ing)? (?:to|with) (?:an? )?(?:actual |real |live )?"
    r"(?:human|person)\b"
    r"|\b(?:actual|real|live) (?:human|person)\b"
)
# What the customer expected and did not get, said as a wish or a reproach.
UNMET = _rx(
    r"\b(?:wish (?:you|they|someone|u) (?:would|had|could|were)"
    r"|(?:should|could)(?: have|'ve) (?:been|told|called|let|given|offered|sent|said|done"
    r"|informed|warned)|at least (?:put|give|tell|let|send|offer|call|update|refund|apologi\w*)"
    r"|you(?:'d| would) think|(?:some|a little|more) \w+ would be nice"
    r"|too little,? too late|not what (?:i|we) (?:paid|asked|ordered|booked)"
    r"|(?:you|they|u) (?:need|needs|have|has) to (?:work|do|try|be|get|start|learn|fix|improve)"
    r"|(?:i|we) shouldn't (?:have to|be|need)|take a lesson|you owe (?:me|us))"
)
REDRESS = _rx(r"\b(?:refund\w*|compensat\w*|reimburs\w*)")
# Leaving, or taking it further.
CHURN = _rx(
    r"\b(?:never (?:again|(?:be )?(?:use|using|order|ordering|buy|buying|shop"
    r"|shopping|stay|staying|book|booking|recommend\w*)\b)"
    r"|switch\w* (?:to|provider|banks?|carriers?|networks?)"
    r"|(?:take|taking) my (?:business|money|custom) elsewhere|lost (?:a|another) (?:loyal )?"
    r"customer|ombudsman|trading standards|consumer (?:protection|rights)|lawyer|solicitor"
    r"|legal action|small claims|chargeback|(?:bad|negative|1[- ]star|one[- ]star) review"
    r"|report (?:you|this) to|(?:another|a different|other) (?:bank|provider|company"
    r"|carrier|network|courier|service|hotel|restaurant|app|store|shop) (?:next time|from now on"
    r"|instead)|from now on|(?:find|use|try|choose|go with) (?:another|other"
    r"|a different) \w+"
    r"|(?:i'm|i am|we're|we are) (?:so |totally )?done with (?:you|this|your))"
)
# Questions that are really reproaches.
RHETORICAL = _rx(
    r"\b(?:how (?:hard|difficult) (?:is|can) it|what(?:'s| is) the point|is it too much to ask"
    r"|how (?:many|much) (?:more |longer )?(?:times|longer|more)"
    r"|how (?:is|was|can) (?:that|this|it) (?:be )?(?:acceptable|ok|okay|possible|fair|legal"
    r"|allowed|right)|what (?:am|are) (?:i|we) (?:even )?paying (?:you )?for"
    r"|are you (?:kidding|serious|joking)|you had one job|what kind of (?:\w+ )?(?:service"
    r"|company|business|operation)|why (?:on earth|the hell|would anyone|should i"
    r"|do i (?:even|have to|bother))|why (?:is it|does it) (?:always|never|take|so)"
    r"|could(?:'ve| have) told|would it kill you"
    r"|why (?:\w+ ){0,3}?(?:not|never)\b|why (?:\w+ ){0,2}?\w+n't\b)"
)
SECOND_PERSON = _rx(r"\b(?<!thank )(?:you|your|you're|yours|u|ur|y'all)\b")
WHY = _rx(r"\bwhy (?:is|are|does|do|did|would|can't|won't|isn't|aren't|doesn't|didn't|has|have)\b")
# What was promised against what happened ("says delivered but ...", "paid for X, got Y").
CONTRAST = _rx(
    r"\b(?:says?|said|shows?|showed|showing|claims?|claimed|supposed to|promised|told"
    r"|advertised|confirmed|guaranteed)\b[^.!?]{0,60}\b(?:but|yet|instead|only to)\b"
    r"|\b(?:paid for|booked|ordered)\b[^.!?]{0,40}\b(?:got|received|took|gave me|sent me)\b"
)
# A claim held at arm's length: 'unlimited', "delivered".
SCARE_QUOTES = re.compile(r"(?:^|[\s(])['\"][A-Za-z][^'\"\n]{0,30}?['\"](?=[\s.,!?;:)]|$)")
SARCASM_IDIOM = _rx(
    r"\b(?:thanks? (?:you )?for nothing|thanks a (?:lot|bunch|million) for|yeah,? right"
    r"|(?:^|[.!?]\s*)so much for|love that for me|just what i needed|said no one ever"
    r"|must be a (?:new )?record|love (?:how|it when|the way) (?:you|they|your)"
    r"|what a (?:surprise|shock)|(?:great|fantastic|brilliant|wonderful|excellent|awesome"
    r"|amazing|stellar) (?:job|work|service)\b[^.!?]{0,40}\bnot\b)"
    r"|/s\b"
)
PRAISE = _rx(
    r"\b(?:thanks?(?! to)|thank you|thx|cheers|great|love|loving|lovely|fantastic|brilliant"
    r"|wonderful|awesome|amazing|excellent|perfect|nice|well done|good job|bravo|impressive"
    r"|helpful|happy|glad|thrilled|pleased|yay)\b"
)
# A last word of praise after a complaint: "... I have to leave the plane? Great. Just great."
PRAISE_LAST = _rx(
    r"(?:^|[.!?,]\s*)(?:just |really |oh |wow,? |so )?(?:great|awesome|perfect|wonderful"
    r"|fantastic|brilliant|lovely|nice(?: \w+){0,2}|thanks a lot|cheers|yay|well done)[.!\s]*$"
)
# Praise that cannot be sarcastic.
GENUINE = _rx(
    r"\b(?:kudos|shout ?out|props to|hats off|appreciated?|grateful|thankful|above and beyond"
    r"|deserves? (?:a raise|a medal|recognition|praise))"
)
# Between praise and trouble: a break that makes them two thoughts, not one sarcastic one.
BREAK = _rx(r"[.!?;]|\b(?:but|despite|though|although|even|after|during|through|amid)\b")
# "Thanks" as a sign-off is manners, not praise: it does not make a report sarcastic.
SIGN_OFF = _rx(
    r"(?:^|[.!?,]\s*)(?:many thanks|thanks|thank you|thx|cheers|regards)(?: in advance| so much)?"
    r"[\s!.,:)]*$"
)
RESOLVED = _rx(
    r"\b(?:fixed|sorted|resolved|solved|working (?:again|now|fine|perfectly)|works (?:now|again"
    r"|fine)|back (?:up|online|to normal)|refunded|arrived safely"
    r"|(?:thanks?|thank you) (?:\w+ ){0,2}for (?:\w+ )?(?:refunding|fixing|sorting|resolving"
    r"|helping|getting back|looking into|following up))\b"
)
INTERJECTION = _rx(
    r"\b(?:ugh+|argh+|wtf|smh|ffs|fml|grr+|jeez|sigh|seriously|for (?:god'?s|pete'?s|heaven'?s)"
    r" sake|come on|give me a break|unreal|unbelievable|what the (?:heck|hell)|wth)\b"
    r"|\breally\s*\?+"
)
NEGATIVE_EMOJI = re.compile(
    "[\U0001f621\U0001f620\U0001f92c\U0001f624\U0001f644\U0001f612\U0001f44e\U0001f61e"
    "\U0001f629\U0001f62b\U0001f622\U0001f62d\U0001f4a9\U0001f611\U0001f623\U0001f616]"
    r"|>?[:;]-?\(|:/(?!/)"
)
SHOUTING_PUNCT = re.compile(r"[!?]{2,}|\?!|!\?")
CAPS_WORD = re.compile(r"\b[A-Z]{4,}\b")
ACRONYMS = frozenset({"ASAP", "HTTP", "HTTPS", "HTML", "JSON", "WIFI", "USB", "HDMI", "FAQ"})
# The problem is the customer's own doing: they want help, not to complain.
OWN_DOING = _rx(
    r"\b(?:(?:i|we|i've|we've|i have|we have)\s+(?:just\s+|accidentally\s+|probably\s+"
    r"|think i\s+)*(?:lost|forgot|forgotten|dropped|broke|deleted|misplaced|unplugged|spilled"
    r"|spilt|locked myself|mistyped)\b"
    r"|(?:i|we)\s+(?:think i\s+)?left (?:my|our) \w+(?: \w+)? (?:in|at|on|behind)"
    r"|(?:entered|put|typed|gave|chose|picked|selected|used) (?:in )?(?:the |a |an )?"
    r"(?:wrong|incorrect)|my (?:own )?fault|my (?:bad|mistake)|by (?:accident|mistake)"
    r"|accidentally|oops|i made a (?:mistake|typo|error))"
)
QUESTION = _rx(
    r"^\W*(?:(?:hi|hello|hey|dear \w+)\W+)?(?:how|what|what's|when|where|which|who|is|are|do"
    r"|does|can|could|would|will|should|may|any|anyone)\b|\?\s*$"
)
YES_NO = _rx(
    r"\W*(?:(?:hi|hello|hey)\W+)?(?:is|are|was|were|will|has|have|does|did|do|can|could"
    r"|should|would)\b[^.!?]*\?+\W*"
)
POLITE = _rx(
    r"\b(?:please|could you|could someone|would you|can you|can someone|would it be possible"
    r"|when (?:you get a chance|convenient)|if possible|kindly|appreciate it if)\b"
)
# A later turn saying the earlier problem is not solved.
NOT_SOLVED = _rx(
    r"\b(?:(?:didn't|did not|doesn't|does not) (?:help|work)|no (?:luck|change|difference)"
    r"|same (?:problem|issue|thing)|tried (?:that|this|it) already)\b"
)
