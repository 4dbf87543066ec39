"""Build the "siblings" QA suite: 30 near-identical switch manuals and questions naming one model.

The setting it reproduces: a corpus holds the manuals of many sibling products whose text is
almost the same, and the customer names their model. Retrieval that ignores the product name
finds the right section of *some* sibling's manual, which counts as a miss (hits need the
right source). Everything is generated from one template manual written for this project
(`benchmarks/suites/siblings_template.md`) about a fictional family of managed PoE switches,
the Larkspur LX series, which does not exist in the demo corpus.

    python benchmarks/build_sibling_suite.py            # write benchmarks/suites/siblings, check it
    python benchmarks/build_sibling_suite.py --check    # only check the suite on disk

The output is deterministic (no randomness, no clock): running the script twice gives the same
bytes, and `--check` fails when the files on disk differ from what the script would write.
Standard library only.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template

HERE = Path(__file__).resolve().parent
TEMPLATE_PATH = HERE / "suites" / "siblings_template.md"
DEFAULT_OUT = HERE / "suites" / "siblings"
QUESTIONS_PER_PRODUCT = 5
MIN_SECTIONS, MAX_SECTIONS = 20, 40
MIN_SHARED_TEXT = 0.85  # word-level similarity of every manual to the first one

# --- the product family ----------------------------------------------------------------------

# Per base model: RJ45 ports, uplink ports, uplink speed (Gbps), fans, PoE budget (W),
# MAC table size, VLANs, LAGs, static routes, warranty (years).
_BASES: tuple[tuple[int, int, int, int, int, int, int, int, int, int, int], ...] = (
    # base  rj45 up speed fans budget   mac vlans lags routes warranty
    (1000, 5, 1, 1, 0, 65, 8000, 64, 2, 16, 3),
    (1200, 8, 2, 1, 0, 120, 8000, 64, 2, 16, 3),
    (1400, 10, 2, 1, 0, 150, 8000, 128, 4, 16, 3),
    (1600, 16, 2, 1, 1, 240, 16000, 128, 4, 32, 5),
    (1800, 16, 4, 10, 1, 250, 16000, 256, 8, 32, 5),
    (2000, 24, 2, 1, 2, 370, 16000, 256, 8, 32, 5),
    (2200, 24, 4, 10, 2, 400, 32000, 512, 8, 64, 5),
    (2400, 28, 4, 10, 2, 420, 32000, 512, 8, 64, 5),
    (2600, 48, 4, 10, 3, 600, 64000, 1024, 16, 128, 5),
    (2800, 48, 6, 25, 3, 740, 64000, 1024, 16, 128, 5),
)
_VARIANTS = ("", "P", "X")  # standard PoE+, PoE++ (802.3bt), faster uplinks
_UPLINK_TYPES = {1: "1G SFP", 10: "10G SFP+", 25: "25G SFP28", 100: "100G QSFP28"}
_FASTER = {1: 10, 10: 25, 25: 100}
_LED_COLOURS = ("green", "blue", "white")
_RESET_SECONDS = (5, 7, 8, 10, 12, 15, 20)
_LOOP_SECONDS = (90, 120, 180, 240, 600)
_REVERT_MINUTES = (3, 5, 10)
_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six")


@dataclass(frozen=True)
class Model:
    """One sibling product and every model-specific fact its manual states."""

    base: int
    variant: str
    index: int  # position of the base model, 0-9
    rj45: int
    uplinks: int
    uplink_speed: int
    fans: int
    budget: int
    per_port: int
    mac_table: int
    vlans: int
    lags: int
    lag_members: int
    routes: int
    warranty: int
    fw: str
    reset: int
    led_colour: str
    boot: int
    loop: int
    revert: int
    baud: int
    external_power: bool

    @property
    def id(self) -> str:
        return f"LX-{self.base}{self.variant}"

    @property
    def compact(self) -> str:
        return f"LX{self.base}{self.variant}"

    @property
    def spaced(self) -> str:
        return f"LX {self.base}{self.variant}"

    @property
    def slug(self) -> str:
        return self.id.lower()

    @property
    def source(self) -> str:
        return f"manuals/{self.slug}-user-manual.md"

    @property
    def poe_kind(self) -> str:
        return "PoE++" if self.variant == "P" else "PoE+"

    @property
    def name(self) -> str:
        name = f"{self.id} {self.rj45}-Port Managed {self.poe_kind} Switch"
        if self.variant == "X":
            name += f" with {self.uplink_speed}G Uplinks"
        return name

    @property
    def uplink_type(self) -> str:
        return _UPLINK_TYPES[self.uplink_speed]

    @property
    def fallback_ip(self) -> str:
        return f"192.168.{self.base // 100}.{10 + _VARIANTS.index(self.variant)}"

    @property
    def client_ip(self) -> str:
        return f"192.168.{self.base // 100}.100"

    @property
    def led_ready(self) -> str:
        return f"solid {self.led_colour}"

    @property
    def fan_value(self) -> str:
        """How the manual states the cooling, word for word (also the answer's key value)."""
        if self.fans == 0:
            return "fanless"
        return f"{_NUMBER_WORDS[self.fans]} fan{'s' if self.fans > 1 else ''}"

    @property
    def op_temp(self) -> str:
        if self.fans == 0:
            return "0 to 40 °C"
        return "0 to 45 °C" if self.variant == "P" else "0 to 50 °C"

    @property
    def max_power(self) -> int:
        return round(self.budget * 1.12) + 10 + self.rj45 // 2 + (6 if self.variant == "X" else 0)

    @property
    def power_value(self) -> str:
        if self.external_power:
            return "external 54 V DC power adapter"
        return "internal power supply"

    @property
    def weight(self) -> str:
        grams = 600 + 70 * self.rj45 + 300 * self.fans + (400 if self.variant == "P" else 0)
        return f"{grams / 1000:.1f}"

    @property
    def capacity(self) -> int:
        return 2 * (self.rj45 + self.uplinks * self.uplink_speed)

    @property
    def console_port(self) -> str:
        return "USB-C" if self.index < 3 else "RJ45"

    @property
    def fw_file(self) -> str:
        return f"{self.compact}_{self.fw}.bin"

    def siblings(self, family: Sequence[Model]) -> list[Model]:
        return [m for m in family if m.base == self.base and m is not self]


def build_family() -> list[Model]:
    """The 30 models: ten base models, each as standard, P (PoE++) and X (faster uplinks)."""
    family: list[Model] = []
    for i, row in enumerate(_BASES):
        base, rj45, uplinks, speed, fans, budget, mac, vlans, lags, routes, warranty = row
        for v, variant in enumerate(_VARIANTS):
            bt = variant == "P"
            x = variant == "X"
            family.append(
                Model(
                    base=base,
                    variant=variant,
                    index=i,
                    rj45=rj45,
                    uplinks=uplinks,
                    uplink_speed=_FASTER[speed] if x else speed,
                    fans=fans + (1 if bt else 0),
                    budget=budget * 2 + 20 if bt else budget + (30 if x else 0),
                    per_port=60 if bt else 30,
                    mac_table=mac * (2 if x else 1),
                    vlans=min(vlans * (2 if x else 1), 4094),
                    lags=lags * (2 if x else 1),
                    lag_members=4 if i < 4 else 8,
                    routes=routes * (2 if x else 1),
                    warranty=warranty,
                    fw=f"4.{i}.{(3 * i + 5 * v) % 7 + 1}",
                    reset=_RESET_SECONDS[(2 * i + 3 * v) % len(_RESET_SECONDS)],
                    led_colour=_LED_COLOURS[(i + v) % len(_LED_COLOURS)],
                    boot=60 + 5 * ((3 * i + 2 * v) % 9),
                    loop=_LOOP_SECONDS[(i + 2 * v) % len(_LOOP_SECONDS)],
                    revert=_REVERT_MINUTES[(2 * i + v) % len(_REVERT_MINUTES)],
                    baud=9600 if i < 3 and not x else 115200,
                    external_power=i < 3 and not bt,
                )
            )
    return family


# --- manuals ---------------------------------------------------------------------------------


def _join_names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def manual_values(model: Model, family: Sequence[Model]) -> dict[str, str]:
    """Template substitutions for one model's manual."""
    m = model
    desk = m.index < 3
    uplink_ports = f"ports {m.rj45 + 1} to {m.rj45 + m.uplinks}"
    if m.uplinks == 1:
        uplink_ports = f"port {m.rj45 + 1}"
    plural = "s" if m.uplinks > 1 else ""
    if m.fans:
        cooling_text = (
            f"The {m.id} has {m.fan_value} that draw air in at the left side and blow it out "
            "at the rear. Fan speed follows the internal temperature and the PoE load; the "
            "fans run at full speed for a few seconds after power-on and then slow down. "
            "Leave at least 10 cm of free space at the sides and rear."
        )
        cooling_led = "FAN, solid green: normal; solid red: a fan has failed or it is too hot."
        cooling_led_name = "FAN"
        overheat_hint = (
            "If the FAN LED is red while the room is cool, a fan has failed; contact Larkspur "
            "support for a replacement."
        )
        cooling_spec = f"{m.fan_value}, temperature-controlled"
        rear = (
            f"The rear panel holds the power input and the fan outlet{'s' if m.fans > 1 else ''}."
        )
    else:
        cooling_text = (
            f"The {m.id} is fanless: it is cooled passively through the metal case and makes "
            "no noise. Leave at least 5 cm of free space around the case and do not cover it."
        )
        cooling_led = "TEMP, off: temperature normal; solid red: it is too hot."
        cooling_led_name = "TEMP"
        overheat_hint = (
            "Because the case itself is the heat sink, do not put the switch in a closed "
            "cabinet or on top of other warm equipment."
        )
        cooling_spec = "fanless, passive cooling"
        rear = "The rear panel holds the power input and a Kensington lock slot."
    if m.external_power:
        power_item = f"an {m.power_value} ({m.max_power + 10} W) with a power cord"
        power_step = f"Connect the {m.power_value} to the DC input and plug it into an outlet."
        power_spec = f"{m.power_value}, {m.max_power + 10} W"
    else:
        power_item = "an IEC power cord for your region"
        power_step = (
            "Connect the power cord to the AC inlet (100-240 V, 50/60 Hz); the switch has an "
            f"{m.power_value}."
        )
        power_spec = f"{m.power_value}, 100-240 V AC, 50/60 Hz"
    if desk:
        mount_item = "a wall-mounting kit and four rubber feet"
        mounting_text = (
            f"Place the {m.id} on a flat, stable desk or shelf after sticking the rubber feet "
            "to the underside, or mount it on a wall with the ports facing down, using the two "
            "keyhole slots on the underside and the screws from the wall-mounting kit. Mark the "
            "two holes 100 mm apart, drill them and leave the screw heads 3 mm proud."
        )
        dimensions = f"{160 + 10 * m.rj45} x 120 x 30 mm (desktop)"
    else:
        mount_item = "a pair of 19-inch rack ears with eight screws, four rubber feet"
        mounting_text = (
            f"The {m.id} is 1U high and fits any standard 19-inch rack. Attach the rack ears "
            "with the supplied screws, four per side, then fasten the switch to the rack rails. "
            "For desktop use, stick the rubber feet to the underside and place the switch on a "
            "flat, stable surface. Do not stack other equipment directly on top of the switch."
        )
        dimensions = f"440 x {200 + 5 * m.rj45} x 44 mm (1U)"
    if m.variant == "P":
        per_port = (
            f"Each port delivers up to {m.per_port} W (802.3bt, class 6), enough for PTZ "
            "cameras with heaters, Wi-Fi 7 access points and thin clients; 802.3af and 802.3at "
            "devices are supported too."
        )
        poe_spec = f"802.3af/at/bt, up to {m.per_port} W per port"
    else:
        per_port = (
            f"Each port delivers up to {m.per_port} W (802.3at, class 4). The switch does not "
            "support 802.3bt devices; a device that needs more than 30 W either refuses to "
            "start or runs in a reduced mode."
        )
        poe_spec = f"802.3af/at, up to {m.per_port} W per port"
    siblings = [s.id for s in m.siblings(family)]
    return {
        "id": m.id,
        "name": m.name,
        "slug": m.slug,
        "compact": m.compact,
        "fw_line": m.fw.rsplit(".", 1)[0],
        "siblings_sentence": f"The {_join_names(siblings)} have their own manuals.",
        "power_item": power_item,
        "mount_item": mount_item,
        "console_cable": f"{m.console_port} console cable",
        "rj45": str(m.rj45),
        "poe_kind": m.poe_kind,
        "uplink_sentence": (
            f"Next to them {'are' if m.uplinks > 1 else 'is'} {_NUMBER_WORDS[m.uplinks]} "
            f"{m.uplink_type} "
            f"uplink port{plural} ({uplink_ports}) for fibre or direct-attach cables."
        ),
        "console_port": m.console_port,
        "rear_sentence": rear,
        "led_colour": m.led_colour,
        "led_ready": m.led_ready,
        "cooling_led": cooling_led,
        "cooling_led_name": cooling_led_name,
        "mounting_text": mounting_text,
        "cooling_text": cooling_text,
        "op_temp": m.op_temp,
        "power_step": power_step,
        "boot": str(m.boot),
        "fallback_ip": m.fallback_ip,
        "client_ip": m.client_ip,
        "baud": str(m.baud),
        "mac_table": f"{m.mac_table:,}",
        "budget": str(m.budget),
        "per_port_sentence": per_port,
        "vlans": str(m.vlans),
        "revert": str(m.revert),
        "lags": str(m.lags),
        "lag_members": str(m.lag_members),
        "loop": str(m.loop),
        "l3_ifs": str(m.routes // 4),
        "routes": str(m.routes),
        "fw": m.fw,
        "fw_file": m.fw_file,
        "reset": str(m.reset),
        "temp_warn": str(70 if m.fans == 0 else 75),
        "overheat_hint": overheat_hint,
        "uplink_spec": f"{m.uplinks} x {m.uplink_type} uplink{plural}",
        "capacity": str(m.capacity),
        "dimensions": dimensions,
        "weight": m.weight,
        "power_spec": power_spec,
        "poe_spec": poe_spec,
        "max_power": str(m.max_power),
        "cooling_spec": cooling_spec,
        "warranty": str(m.warranty),
    }


def render_manual(template: Template, model: Model, family: Sequence[Model]) -> str:
    return template.substitute(manual_values(model, family))


def products_toml(family: Sequence[Model]) -> str:
    lines = [
        "# Product catalog of the synthetic LX switch family (see ../README.md).",
        "# Not ingested (ingest ignores .toml); used to recognise product names in questions.",
    ]
    for m in family:
        aliases = ", ".join(json.dumps(a) for a in (m.compact, m.spaced))
        lines += [
            "",
            "[[product]]",
            f'id = "{m.id}"',
            f'name = "{m.name}"',
            'family = "switch"',
            f"aliases = [{aliases}]",
        ]
    return "\n".join(lines) + "\n"


# --- questions -------------------------------------------------------------------------------

# Sections, as heading paths below the document title.
S_PACKAGE = "About the switch > Package contents"
S_FRONT = "About the switch > Front panel"
S_LEDS = "About the switch > LED indicators"
S_COOLING = "Installation > Cooling and fan behaviour"
S_POWER_ON = "Installation > Powering on"
S_IP = "First-time access > Default IP address"
S_CONSOLE = "First-time access > Console port"
S_MAC = "Switching basics > MAC address table"
S_POE = "Power over Ethernet > PoE budget and allocation"
S_VLANS = "VLANs > Creating VLANs"
S_MGMT_VLAN = "VLANs > Management VLAN"
S_LAG = "Link aggregation > Creating a LAG"
S_LOOP = "Loop Guard > Automatic recovery"
S_ROUTES = "Layer 3 features > VLAN interfaces and static routes"
S_FIRMWARE = "Firmware > Updating the firmware"
S_RESET = "Factory reset > Reset button"
S_HW = "Specifications > Hardware"
S_SW = "Specifications > Switching and routing"
S_ENV = "Specifications > Power and environment"


@dataclass(frozen=True)
class Fact:
    """A question type: phrasings, where the fact is stated, and how to answer it."""

    key: str
    phrasings: tuple[str, ...]  # "{m}" is the product mention
    sections: tuple[str, ...]  # the sections of the manual that state the value
    value: Callable[[Model], str]  # the model-specific value, as the manual writes it
    answer: Callable[[Model], str]
    also: Callable[[Model], tuple[str, ...]] = lambda _m: ()  # sections only some models have

    def gold_sections(self, model: Model) -> tuple[str, ...]:
        return self.sections + self.also(model)


FACTS: tuple[Fact, ...] = (
    Fact(
        "poe-budget",
        (
            "What is the total PoE budget of {m}?",
            "How many watts of PoE can {m} supply in total?",
        ),
        (S_POE, S_ENV),
        lambda m: f"{m.budget} W",
        lambda m: f"{m.budget} W in total, up to {m.per_port} W per port.",
    ),
    Fact(
        "max-vlans",
        (
            "How many VLANs can I create on {m}?",
            "What is the maximum number of VLANs on {m}?",
        ),
        (S_VLANS, S_SW),
        lambda m: f"{m.vlans} VLANs",
        lambda m: f"Up to {m.vlans} VLANs, with IDs 1 to 4094.",
    ),
    Fact(
        "firmware",
        (
            "Which firmware version is the latest for {m}, and what is the image file called?",
            "What's the current firmware release for {m}?",
        ),
        (S_FIRMWARE, S_SW),
        lambda m: m.fw,
        lambda m: f"Firmware {m.fw}; the image file is {m.fw_file}.",
    ),
    Fact(
        "reset-hold",
        (
            "How long do I have to hold the reset button on {m} to get factory defaults?",
            "Factory reset on {m}: how many seconds do I press the reset button?",
        ),
        (S_RESET,),
        lambda m: f"{m.reset} seconds",
        lambda m: f"Hold it for {m.reset} seconds, until SYS fast-blinks amber.",
    ),
    Fact(
        "fallback-ip",
        (
            "There's no DHCP server on our network. What IP address does {m} use then?",
            "What is the default fallback IP of {m} when DHCP fails?",
        ),
        (S_IP,),
        lambda m: m.fallback_ip,
        lambda m: f"After 60 seconds without DHCP it uses {m.fallback_ip}, mask 255.255.255.0.",
    ),
    Fact(
        "led-ready",
        (
            "What colour is the SYS LED on {m} once it has finished booting?",
            "How can I tell from the LEDs that {m} is ready? What does SYS show?",
        ),
        (S_LEDS, S_POWER_ON),
        lambda m: m.led_ready,
        lambda m: f"SYS is {m.led_ready} when the switch is ready (blinking while it starts).",
    ),
    Fact(
        "cooling",
        (
            "Does {m} have fans, and how many?",
            "Is {m} fanless? It would sit in an office.",
        ),
        (S_COOLING, S_ENV),
        lambda m: m.fan_value,
        lambda m: (
            "It is fanless (passive cooling)."
            if m.fans == 0
            else f"It is not fanless: it has {m.fan_value}, temperature-controlled."
        ),
    ),
    Fact(
        "max-power",
        (
            "What is the maximum power consumption of {m} with all PoE ports loaded?",
            "How much power does {m} draw at most? Sizing a UPS.",
        ),
        (S_ENV,),
        lambda m: f"{m.max_power} W",
        lambda m: f"At most {m.max_power} W with full PoE load.",
    ),
    Fact(
        "mac-table",
        (
            "How many MAC addresses can {m} learn?",
            "What's the size of the MAC address table on {m}?",
        ),
        (S_MAC, S_HW),
        lambda m: f"{m.mac_table:,} entries",
        lambda m: f"{m.mac_table:,} entries; idle entries age out after 300 seconds.",
    ),
    Fact(
        "console-baud",
        (
            "What baud rate does the console port of {m} use?",
            "Serial console settings for {m}? I only get garbage characters.",
        ),
        (S_CONSOLE, S_HW),
        lambda m: f"{m.baud} baud",
        lambda m: f"{m.baud} baud, 8 data bits, no parity, 1 stop bit, no flow control.",
    ),
    Fact(
        "lags",
        (
            "How many link aggregation groups can I configure on {m}?",
            "How many LACP groups does {m} support, and how many ports per group?",
        ),
        (S_LAG, S_SW),
        lambda m: f"{m.lags} link aggregation groups",
        lambda m: f"{m.lags} link aggregation groups with up to {m.lag_members} ports each.",
    ),
    Fact(
        "boot-time",
        (
            "How long does {m} take to boot after power-on?",
            "I just plugged in {m}. How long until it is ready?",
        ),
        (S_POWER_ON,),
        lambda m: f"about {m.boot} seconds",
        lambda m: f"About {m.boot} seconds; SYS turns {m.led_ready} when it is ready.",
    ),
    Fact(
        "loop-recovery",
        (
            "Loop Guard shut down a port on {m}. When does it come back on its own?",
            "After how long does {m} re-enable a port disabled by Loop Guard?",
        ),
        (S_LOOP,),
        lambda m: f"{m.loop} seconds",
        lambda m: f"After {m.loop} seconds by default; it shuts down again if the loop remains.",
    ),
    Fact(
        "static-routes",
        (
            "How many static routes does {m} support?",
            "Can {m} route between VLANs? How many routes and VLAN interfaces?",
        ),
        (S_ROUTES, S_SW),
        lambda m: f"{m.routes} static routes",
        lambda m: f"Yes: up to {m.routes // 4} VLAN interfaces and {m.routes} static routes.",
    ),
    Fact(
        "ports",
        (
            "How many ports does {m} have?",
            "How many RJ45 ports and uplinks are on {m}?",
        ),
        (S_FRONT, S_HW),
        lambda m: f"{m.rj45} RJ45 ports",
        lambda m: (
            f"{m.rj45} RJ45 ports plus {m.uplinks} {m.uplink_type} "
            f"uplink{'s' if m.uplinks > 1 else ''}."
        ),
    ),
    Fact(
        "operating-temp",
        (
            "What ambient temperature range is {m} rated for?",
            "Can {m} run in a warm closet? What's the operating temperature?",
        ),
        (S_COOLING, S_ENV),
        lambda m: m.op_temp,
        lambda m: f"{m.op_temp}.",
    ),
    Fact(
        "mgmt-vlan-revert",
        (
            "I moved the management VLAN on {m} and lost access. Will it undo the change?",
            "How long before {m} reverts a management VLAN change that locked me out?",
        ),
        (S_MGMT_VLAN,),
        lambda m: f"{m.revert} minutes",
        lambda m: f"Yes, after {m.revert} minutes unless you sign in again at the new address.",
    ),
    Fact(
        "weight",
        (
            "How heavy is {m}?",
            "What does {m} weigh? I want to mount it on a wall shelf.",
        ),
        (S_HW,),
        lambda m: f"{m.weight} kg",
        lambda m: f"{m.weight} kg.",
    ),
    Fact(
        "power-input",
        (
            "Does {m} have a built-in power supply or an external adapter?",
            "Is the power supply of {m} internal or a separate brick?",
        ),
        (S_POWER_ON, S_ENV),
        lambda m: m.power_value,
        lambda m: (
            f"It uses an {m.power_value} (included)."
            if m.external_power
            else f"It has an {m.power_value} (100-240 V AC); just a power cord."
        ),
        also=lambda m: (S_PACKAGE,) if m.external_power else (),
    ),
)

# How customers name the product: canonical id, spaced, compact, lower case...
MENTIONS: tuple[Callable[[Model], str], ...] = (
    lambda m: f"the {m.id}",
    lambda m: f"my {m.spaced}",
    lambda m: f"our {m.compact.lower()}",
    lambda m: f"the {m.compact}",
    lambda m: f"an {m.id.lower()}",
)


@dataclass(frozen=True)
class Unanswerable:
    question: str
    absent: tuple[str, ...]  # words no manual may contain, or the question would be answerable


UNANSWERABLE: tuple[Unanswerable, ...] = (
    Unanswerable("Does the LX-1600 support stacking with a second LX switch?", ("stacking",)),
    Unanswerable("What is the MTBF of the LX-2200P in hours?", ("MTBF", "mean time")),
    Unanswerable("How do I configure OSPF on my LX 2600X?", ("OSPF", "dynamic routing")),
    Unanswerable("How much does an lx1800 cost?", ("price", "cost", "USD", "EUR")),
    Unanswerable("Does the LX-1200P support MACsec encryption on its ports?", ("MACsec",)),
    Unanswerable("How loud are the fans of the LX-2800X in dB?", ("dB", "decibel", "noise level")),
    Unanswerable("Can I hot-swap the power supply of our LX2000?", ("hot-swap", "redundant")),
    Unanswerable("Does the LX-1400X support PTP (IEEE 1588) time sync?", ("PTP", "1588")),
    Unanswerable("What is the PoE budget of the LX-3500?", ("LX-3500", "LX3500")),
    Unanswerable(
        "Can the LX-2400 be managed from a smartphone app over Bluetooth?", ("Bluetooth", "app ")
    ),
)


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    product: str | None
    gold: tuple[tuple[str, str], ...]  # (source, section)
    answer: str | None
    value: str | None  # the model-specific value the gold sections must state
    absent: tuple[str, ...] = ()

    def to_json(self) -> str:
        row = {
            "id": self.id,
            "question": self.question,
            "gold": [{"source": source, "section": section} for source, section in self.gold],
            "answer": self.answer,
        }
        return json.dumps(row, ensure_ascii=False)


def build_questions(family: Sequence[Model]) -> list[Question]:
    """Five questions per model over different facts (cycling through all of them), then the
    unanswerable ones."""
    questions: list[Question] = []
    for i, m in enumerate(family):
        for j in range(QUESTIONS_PER_PRODUCT):
            fact = FACTS[(i * QUESTIONS_PER_PRODUCT + j) % len(FACTS)]
            phrasing = fact.phrasings[(i + j) % len(fact.phrasings)]
            mention = MENTIONS[(i + 2 * j) % len(MENTIONS)](m)
            questions.append(
                Question(
                    id=f"siblings-{len(questions) + 1:03d}",
                    question=phrasing.format(m=mention),
                    product=m.id,
                    gold=tuple((m.source, section) for section in fact.gold_sections(m)),
                    answer=fact.answer(m),
                    value=fact.value(m),
                )
            )
    for k, u in enumerate(UNANSWERABLE, 1):
        questions.append(
            Question(f"siblings-none-{k:02d}", u.question, None, (), None, None, u.absent)
        )
    return questions


# --- the suite -------------------------------------------------------------------------------

README = """\
# Siblings evaluation suite (synthetic)

Thirty manuals of near-identical sibling products, and questions that name one of them. It
measures whether retrieval and answers stay on the product the customer named when the corpus
is full of its siblings: a passage from the right section of a sibling's manual counts as a
miss, and usually gives a wrong answer (port counts, PoE budgets, reset times, fallback
addresses and firmware versions differ between the models).

The text is **synthetic and written for this project**: one template manual
(`benchmarks/suites/siblings_template.md`) about a fictional family of Larkspur managed PoE
switches, the LX series, filled in for each model. It is not third-party material and the
products do not exist (the demo corpus's own switches are the LS series).

Regenerate and check it with:

```
python benchmarks/build_sibling_suite.py           # writes this folder, then checks it
python benchmarks/build_sibling_suite.py --check   # checks the files on disk only
supportbot eval benchmarks/suites/siblings
```

The script is deterministic; do not edit the generated files by hand. The check asserts that
every gold section exists in its manual and states the model's value, that no other section
of that manual states it, that each question names its model (catalog matching as in
`app/ground/products.py`), and that no manual mentions what the unanswerable questions ask about.

## Contents

- `corpus/manuals/lx-*-user-manual.md`: {manuals} manuals, one per model: ten base models
  (LX-1000 to LX-2800, 5 to 48 ports) in three variants each (standard PoE+, `P` = PoE++
  802.3bt, `X` = faster uplinks). Each has front matter (`title`, `product`, `url`), a `#`
  title, {chapters} `##` chapters and {sections} sections. Each manual shares at least
  {shared:.0%} of its words, in order, with the LX-1000 manual; what differs is the model
  name and the model-specific facts.
- `corpus/products.toml`: the catalog of the {manuals} models (id, name, aliases), so that
  product names in questions can be recognised ("LX-1400P", "LX 1400P", "lx1400p").
- `questions.jsonl`: {answerable} questions, {per_product} per model, each naming the model in
  one of several ways ("the LX-1400", "my LX 1400", "our lx1400", "the LX1400", "an
  lx-1400") and asking a model-specific fact ({facts} kinds of fact, spread evenly). Gold is
  that model's manual and every section that states the fact (often both the chapter section
  and a specification table); the reference answer contains the model's value. Plus
  {unanswerable} questions the corpus cannot answer (features no manual mentions, a model
  that does not exist): `gold: []`, `answer: null`.

## What it measures

Section hit@k and MRR (hits need the named model's manual), and, with answers, whether the
answer and its citations come from the named model. Retrieval that does not use the product
the question names has only the model name in the passage text to go on: sections that
state it (and the title, where the index adds it to each passage) can match, the others are
a guess among 30 near-identical sections, and names written differently from the manuals
("lx1400" for "LX-1400") match nothing lexically. The target for product-aware retrieval is
section hit@5 and citation precision of at least 0.85.
"""


def suite_files(template_text: str) -> dict[str, str]:
    """Every file of the suite, by path relative to the suite folder."""
    family = build_family()
    template = Template(template_text)
    files = {f"corpus/{m.source}": render_manual(template, m, family) for m in family}
    files["corpus/products.toml"] = products_toml(family)
    questions = build_questions(family)
    files["questions.jsonl"] = "".join(q.to_json() + "\n" for q in questions)
    first = files[f"corpus/{family[0].source}"]
    files["README.md"] = README.format(
        manuals=len(family),
        chapters=sum(1 for p in parse_sections(first) if ">" not in p),
        sections=len(leaf_sections(parse_sections(first))),
        shared=min(shared_ratio(first, files[f"corpus/{m.source}"]) for m in family),
        answerable=sum(1 for q in questions if q.gold),
        per_product=QUESTIONS_PER_PRODUCT,
        facts=len(FACTS),
        unanswerable=len(UNANSWERABLE),
    )
    return files


def write_suite(out: Path, files: dict[str, str]) -> None:
    for stale in sorted((out / "corpus" / "manuals").glob("*.md")):
        if f"corpus/manuals/{stale.name}" not in files:
            stale.unlink()
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")


# --- checks ----------------------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")


def _without_front_matter(text: str) -> str:
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end >= 0:
            return text[end + 5 :]
    return text


def parse_sections(text: str) -> dict[str, str]:
    """Heading path below the `#` title (joined with " > ") -> the text directly under it."""
    sections: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    current: str | None = None
    in_fence = False
    for line in _without_front_matter(text).splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match is None:
            if current is not None:
                sections[current] += line + "\n"
            continue
        level = len(match.group(1))
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, match.group(2)))
        if level == 1:
            current = None
            continue
        current = " > ".join(title for lvl, title in stack if lvl > 1)
        sections.setdefault(current, "")
    return sections


def leaf_sections(sections: dict[str, str]) -> list[str]:
    """The heading paths with no heading below them (the sections questions point at)."""
    return [p for p in sections if not any(q.startswith(p + " > ") for q in sections)]


def front_matter(text: str) -> dict[str, str]:
    if not text.startswith("---\n"):
        return {}
    block = text[4 : text.find("\n---\n", 4)]
    return dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in block.splitlines())
    )


def shared_ratio(a: str, b: str) -> float:
    """Share of words two texts have in common, in order (difflib ratio over words)."""
    return difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).lower()


def detect_product(text: str, aliases: dict[str, str]) -> str | None:
    """The catalog product named in `text`, longest name first (as app/ground/products.py does)."""
    best: tuple[int, str] | None = None
    lowered = text.lower()
    for alias, product in aliases.items():
        pattern = r"[\s_\-]*".join(re.escape(ch) for ch in alias)
        found = re.search(rf"(?<![a-z0-9]){pattern}(?![a-z0-9])", lowered)
        if found and (best is None or len(alias) > best[0]):
            best = (len(alias), product)
    return best[1] if best else None


def states(text: str, value: str) -> bool:
    """Does `text` state `value` as a whole (so "20 seconds" is not found in "120 seconds")?"""
    pattern = rf"(?<![\w.,]){re.escape(value)}(?![\w]|[.,]\d)"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None


def check_suite(out: Path, expected: dict[str, str]) -> list[str]:
    """Problems with the suite on disk (empty when it is sound and up to date)."""
    problems: list[str] = []
    for rel, text in expected.items():
        path = out / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{rel}: differs from what the script generates (rerun it)")
    manuals = sorted((out / "corpus" / "manuals").glob("*.md"))
    extra = [p.name for p in manuals if f"corpus/manuals/{p.name}" not in expected]
    problems += [f"corpus/manuals/{name}: not generated by this script" for name in extra]

    family = build_family()
    first = expected[f"corpus/{family[0].source}"]
    for m in family[1:]:
        ratio = shared_ratio(first, expected[f"corpus/{m.source}"])
        if ratio < MIN_SHARED_TEXT:
            problems.append(f"{m.source}: shares only {ratio:.2f} of its words with the first")
    aliases = {_key(n): m.id for m in family for n in (m.id, m.name, m.compact, m.spaced)}
    texts: dict[str, str] = {}
    sections: dict[str, dict[str, str]] = {}
    for m in family:
        path = out / "corpus" / m.source
        if not path.is_file():
            continue
        text = texts[m.source] = path.read_text(encoding="utf-8")
        sections[m.source] = parsed = parse_sections(text)
        meta = front_matter(text)
        if meta.get("product") != m.id or not meta.get("title") or not meta.get("url"):
            problems.append(f"{m.source}: front matter lacks title/url or product {m.id}")
        leaves = len(leaf_sections(parsed))
        if not MIN_SECTIONS <= leaves <= MAX_SECTIONS:
            problems.append(f"{m.source}: {leaves} sections, not {MIN_SECTIONS}-{MAX_SECTIONS}")
        if "$" in text:
            problems.append(f"{m.source}: unsubstituted template text")

    for q in build_questions(family):
        if not q.gold:
            for word in q.absent:
                holders = [s for s, t in texts.items() if word.lower() in t.lower()]
                if holders:
                    problems.append(f"{q.id}: answerable after all, {word!r} is in {holders[0]}")
            continue
        named = detect_product(q.question, aliases)
        if named != q.product:
            problems.append(f"{q.id}: names {named!r}, expected {q.product!r}")
        assert q.value is not None and q.answer is not None
        if not states(q.answer, q.value):
            problems.append(f"{q.id}: reference answer lacks the value {q.value!r}")
        for source, section in q.gold:
            body = sections.get(source, {}).get(section)
            if body is None:
                problems.append(f"{q.id}: no section {section!r} in {source}")
            elif not states(body, q.value):
                problems.append(f"{q.id}: {source} > {section} does not state {q.value!r}")
        # Gold must be complete too: no other section of that manual states the value.
        source = q.gold[0][0]
        golden = {section for _, section in q.gold}
        for section, body in sections.get(source, {}).items():
            if section not in golden and states(body, q.value):
                problems.append(f"{q.id}: {source} > {section} states {q.value!r} but is no gold")
    return problems


def _summary(out: Path, expected: dict[str, str]) -> Iterator[str]:
    family = build_family()
    first = expected[f"corpus/{family[0].source}"]
    ratios = [shared_ratio(first, expected[f"corpus/{m.source}"]) for m in family[1:]]
    questions = build_questions(family)
    size = sum(len(t.encode("utf-8")) for t in expected.values())
    yield f"suite: {out}"
    sections = parse_sections(first)
    chapters = sum(1 for p in sections if ">" not in p)
    yield f"manuals: {len(family)}, {chapters} chapters, {len(leaf_sections(sections))} sections"
    mean = sum(ratios) / len(ratios)
    yield f"shared words with {family[0].id}: min {min(ratios):.3f}, mean {mean:.3f}"
    yield f"questions: {len(questions)} ({sum(1 for q in questions if not q.gold)} unanswerable)"
    yield f"size: {size / 1024:.0f} KiB"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="suite folder to write")
    parser.add_argument("--template", type=Path, default=TEMPLATE_PATH, help="template manual")
    parser.add_argument("--check", action="store_true", help="only check the suite on disk")
    args = parser.parse_args(argv)
    expected = suite_files(args.template.read_text(encoding="utf-8"))
    if not args.check:
        write_suite(args.out, expected)
    problems = check_suite(args.out, expected)
    for line in _summary(args.out, expected):
        print(line)
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    if problems:
        return 1
    print("check: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
