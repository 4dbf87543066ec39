"""Alerts for agents who are not watching the console tab: a browser notification and a short
tone when a conversation joins the queue, and when the customer of a conversation they have
claimed writes. Each agent turns them on or off (and the tone) with the buttons in the top bar;
the choice is kept in their browser, per agent, and the browser asks for permission to notify
once, when they first turn alerts on.

The events come from the live-update script (app/console/html.py), which hands each one on
as a "console-event"; the server marks a queue entry as new (`new`) and a customer's message
with the agent who has the conversation (`assigned_to`, app/handoff/events.py). Notification
texts name no customer and quote nothing they wrote: they show on the lock screen.
"""

from __future__ import annotations

ALERTS_SCRIPT = """
(function () {
  var toggle = document.getElementById("alerts-toggle");
  var tone = document.getElementById("alerts-sound");
  var me = document.getElementById("whoami");
  if (!toggle || !tone || !me) return;
  var key = "supportbot.alerts." + me.dataset.agentId;
  function read() {
    try { return JSON.parse(localStorage.getItem(key) || "{}") || {}; } catch (e) { return {}; }
  }
  function show() {
    var choice = read();
    toggle.setAttribute("aria-pressed", choice.on ? "true" : "false");
    toggle.textContent = choice.on ? "Alerts on" : "Alerts off";
    tone.setAttribute("aria-pressed", choice.quiet ? "false" : "true");
    tone.textContent = choice.quiet ? "Sound off" : "Sound on";
    tone.hidden = !choice.on;
  }
  function change(update) {
    var choice = read();
    update(choice);
    localStorage.setItem(key, JSON.stringify(choice));
    show();
  }
  toggle.addEventListener("click", function () {
    change(function (choice) { choice.on = !choice.on; });
    if (read().on && window.Notification && Notification.permission === "default") {
      Notification.requestPermission();
    }
  });
  tone.addEventListener("click", function () {
    change(function (choice) { choice.quiet = !choice.quiet; });
  });
  show();

  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      var context = new Context(), oscillator = context.createOscillator();
      var gain = context.createGain();
      oscillator.frequency.value = 880;
      gain.gain.value = 0.08;
      oscillator.connect(gain);
      gain.connect(context.destination);
      oscillator.start();
      oscillator.stop(context.currentTime + 0.18);
    } catch (e) { /* no audio device: the notification is enough */ }
  }
  var said = {};
  function alertAgent(key, title, text, url) {
    if (said[key]) return;  // the same message is announced again with its triage
    said[key] = true;
    document.body.dataset.lastAlert = title;
    if (window.Notification && Notification.permission === "granted") {
      var note = new Notification(title, {body: text, tag: key});
      note.onclick = function () { window.focus(); location.assign(url); };
    }
    if (!read().quiet) beep();
  }
  document.addEventListener("console-event", function (message) {
    var event = message.detail || {};
    if (!read().on || !event.conversation_id) return;
    var url = "/console/conversations/" + encodeURIComponent(event.conversation_id);
    if (event.kind === "escalation" && event.new && event.state === "queued") {
      alertAgent("queued:" + event.conversation_id, "New conversation in the queue",
                 "Priority P" + event.priority + ": open the console to claim it.", url);
    } else if (event.kind === "message" && event.role === "customer" &&
               event.assigned_to === me.dataset.agentId) {
      alertAgent("message:" + event.message_id, "Your customer wrote",
                 "A new message in a conversation you have.", url);
    }
  });
})();
"""


# The top bar's switches (pages.py `topbar`); the script above sets their state and text.
ALERT_BUTTONS = (
    '<button id="alerts-toggle" type="button" aria-pressed="false" title="A notification and '
    "a tone for new queue entries and for your customers' messages\">Alerts off</button>"
    '<button id="alerts-sound" type="button" aria-pressed="true" hidden>Sound on</button>'
)
