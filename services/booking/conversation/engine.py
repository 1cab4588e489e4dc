"""The SMS booking conversation: a pure function from (state, message, context) to a turn.

``handle`` never does I/O. The webhook loads the stored state for the phone number, builds a
``ConversationContext``, calls ``handle``, carries out the returned actions, stores
``turn.state.to_dict()`` and sends ``turn.reply`` unless it is None. Because the function is
pure, the caller can retry it safely (for example with a fresh ``rng`` if a reference code
collides with an existing one under the database's unique constraint).

Wiring, in the webhook::

    state = ConversationState.from_dict(row.state) if row is not None else None
    turn = handle(state, InboundText(form["Body"], int(form["NumMedia"])), ctx)
    for action in turn.actions:
        ...  # CreateRideRequest, CancelRide, RegisterRider, OptOut, OptIn, SetLanguage, ...
    row.state = turn.state.to_dict()
    if turn.reply is not None:
        ...  # queue the reply in turn.language

Order of precedence for a message: opt-out keywords, the opted-out silence, opt-in, the idle
timeout, empty messages, then commands (language, HELP, STATUS, CANCEL <code>), then whichever
step the conversation is in.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import datetime

from services.booking.conversation._actions import (
    Action,
    CancelRide,
    CreateRideRequest,
    FlagForDispatcher,
    OptIn,
    OptOut,
    RegisterRider,
    SetLanguage,
    action_to_dict,
)
from services.booking.conversation._booking import handle_booking, handle_choice, handle_confirm
from services.booking.conversation._intents import Found, Intent, read_intents
from services.booking.conversation._model import (
    NEEDS,
    ConversationContext,
    ConversationState,
    InboundText,
    RiderInfo,
    Step,
    Turn,
    UpcomingRide,
)
from services.booking.conversation._prompts import current_question
from services.booking.conversation._slots import extract
from services.booking.conversation._text import normalise
from services.booking.conversation._turn_builder import TurnBuilder, aware_utc
from services.booking.conversation._vocabulary import OPT_OUT_MENTION
from services.booking.conversation.keywords import (
    Command,
    CommandMatch,
    match_command,
    text_language,
    yes_or_no,
)
from services.booking.conversation.places import PlaceEntry
from services.booking.conversation.replies import fit_list, join, render
from shared.i18n import Language, format_date, format_time

__all__ = [
    "Action",
    "CancelRide",
    "ConversationContext",
    "ConversationState",
    "CreateRideRequest",
    "FlagForDispatcher",
    "InboundText",
    "OptIn",
    "OptOut",
    "PlaceEntry",
    "RegisterRider",
    "RiderInfo",
    "SetLanguage",
    "Turn",
    "UpcomingRide",
    "action_to_dict",
    "handle",
]

logger = logging.getLogger(__name__)

_MAX_NAME = 60
_NAME_PREFIX = re.compile(
    r"^\s*(?:(?:my name is|my name's|name is|i am|i'm|im|this is|it's)\b|name:"
    r"|我叫|我係|我是|我的名字是)\s*",
    re.IGNORECASE,
)
_HAS_WORD = re.compile(r"[^\W\d_]", re.UNICODE)
_STATUS_LIMIT = 3
_STATUS_BUDGET: dict[Language, int] = {Language.EN: 200, Language.ZH_HANT: 80}


def handle(state: ConversationState | None, message: InboundText, ctx: ConversationContext) -> Turn:
    """Answer one inbound SMS: the new state, the reply (None = stay silent) and actions.

    Never raises: an unexpected error is logged, the rider gets an apology (unless opted out)
    and a dispatcher is flagged.
    """
    try:
        return _handle(state, message, ctx)
    except Exception:
        logger.exception("SMS conversation engine failed; flagging for a dispatcher")
        language = Language.EN
        if ctx.rider is not None and ctx.rider.language in ("en", "zh-Hant"):
            language = ctx.rider.language
        opted_out = ctx.opted_out or (state is not None and state.opted_out is True)
        fresh = ConversationState(language=language, opted_out=opted_out)
        if opted_out:
            return Turn(fresh, None, language)
        flag = FlagForDispatcher("internal error in the SMS conversation engine")
        return Turn(fresh, render("error", language), language, (flag,))


def _load(state: ConversationState | None) -> ConversationState:
    """Validate a stored state field by field (it may be old, damaged or hand-built)."""
    if state is None:
        return ConversationState()
    try:
        return ConversationState.from_dict(state.to_dict())
    except (TypeError, ValueError, AttributeError):
        return ConversationState()


def _language(state: ConversationState, ctx: ConversationContext, body: str) -> Language:
    # Someone who clearly writes in one language gets that language, whatever is on file.
    written = text_language(body)
    if written is not None:
        return written
    if state.language is not None and (state.language_chosen or state.step != Step.START):
        # "ok", "10am": carry on in the language the conversation is in.
        return state.language
    if ctx.rider is not None and ctx.rider.language in ("en", "zh-Hant"):
        return ctx.rider.language
    return state.language or Language.EN


def _is_stale(state: ConversationState, ctx: ConversationContext) -> bool:
    if state.step == Step.START or state.updated_at is None:
        return False
    last = datetime.fromisoformat(state.updated_at)
    return aware_utc(ctx.now) - aware_utc(last) > ctx.idle_timeout


def _fresh(state: ConversationState) -> ConversationState:
    """A new conversation that remembers only language, registration and opt-out."""
    return ConversationState(
        language=state.language,
        language_chosen=state.language_chosen,
        registered=state.registered,
        opted_out=state.opted_out,
    )


def _handle(
    stored: ConversationState | None, message: InboundText, ctx: ConversationContext
) -> Turn:
    state = _load(stored)
    body = message.body if isinstance(message.body, str) else ""
    builder = TurnBuilder(ctx, state, _language(state, ctx, body))
    opted_out = ctx.opted_out or state.opted_out
    command = match_command(body, opted_out=opted_out)

    if command is not None and command.command == Command.OPT_OUT:
        if opted_out:
            # One confirmation only: it went out when the number first opted out.
            builder.state = replace(state, opted_out=True)
            return builder.finish(None)
        builder.state = replace(_fresh(state), opted_out=True)
        builder.actions.append(OptOut(command.keyword))
        return builder.finish(builder.text("opted_out", programme=ctx.programme_name))
    if opted_out:
        if command is None or command.command != Command.OPT_IN:
            return builder.finish(None)
        builder.state = replace(_fresh(state), opted_out=False)
        builder.actions.append(OptIn(command.keyword))
        return builder.finish(builder.text("opted_in", programme=ctx.programme_name))
    if command is not None and command.command == Command.OPT_IN:
        return builder.finish(builder.text("opted_in", programme=ctx.programme_name))

    prefix = ""
    if _is_stale(state, ctx):
        had_draft = state.step in {Step.BOOKING, Step.CHOOSE_PLACE, Step.CONFIRM}
        builder.state = _fresh(state)
        prefix = builder.text("expired") if had_draft else ""
        if prefix and (yes_or_no(body) is not None or not body.strip()):
            # A late "YES" must not book the stale ride; say so and start again.
            return builder.finish(join(prefix, _question(builder)))

    if not body.strip():
        key = "text_only" if message.num_media > 0 else "didnt_get"
        return builder.finish(join(prefix, builder.text(key), _question(builder)))
    if command is not None:
        return builder.finish(join(prefix, _command(builder, command)))
    if builder.state.step not in {Step.REG_NAME, Step.REG_ADDRESS}:
        intent = _sentence_command(builder, body)
        if intent is not None:
            return builder.finish(join(prefix, intent))
    return builder.finish(join(prefix, _step(builder, body)))


def _needs_registration(builder: TurnBuilder) -> bool:
    return builder.ctx.rider is None and not builder.state.registered


def _question(builder: TurnBuilder) -> str:
    return current_question(builder, needs_registration=_needs_registration(builder))


def _command(builder: TurnBuilder, command: CommandMatch) -> str:
    ctx = builder.ctx
    if command.command == Command.LANGUAGE and command.language is not None:
        builder.language = command.language
        builder.state = replace(builder.state, language_chosen=True)
        builder.actions.append(SetLanguage(command.language))
        return join(builder.text("language_set"), _question(builder))
    if command.command == Command.HELP:
        return builder.text("help", programme=ctx.programme_name, contact=ctx.help_contact)
    if command.command == Command.STATUS:
        return _status(builder)
    if command.command == Command.CANCEL_RIDE and command.code is not None:
        return _cancel(builder, command.code)
    if command.command == Command.CANCEL_WHICH:
        if builder.state.step in {Step.BOOKING, Step.CHOOSE_PLACE, Step.CONFIRM}:
            builder.state = _fresh(builder.state)
            return builder.text("draft_dropped")
        rides = ctx.rider.upcoming if ctx.rider is not None else ()
        if not rides:
            return builder.text("status_none")
        return builder.text("cancel_which", example=rides[0].reference_code)
    # RESTART
    builder.state = _fresh(builder.state)
    return join(builder.text("restarted"), _question(builder))


def _sentence_command(builder: TurnBuilder, body: str) -> str | None:
    """Carry out a command said inside a sentence; None when the text is about the ride."""
    rider = builder.ctx.rider
    codes = (
        frozenset(ride.reference_code.upper() for ride in rider.upcoming) if rider else frozenset()
    )
    found = read_intents(body, codes=codes)
    if builder.state.asking != "cancel":
        # A bare ride code cancels only right after we asked which ride to cancel.
        found = [f for f in found if f.intent != Intent.CANCEL_CODE or f.score >= 0.9]
    elif not any(f.intent == Intent.CANCEL_CODE for f in found):
        builder.move(Step.START)
    if not found:
        return None
    top: Found = found[0]
    if top.intent == Intent.LANGUAGE and top.language is not None:
        return _command(builder, CommandMatch(Command.LANGUAGE, "", language=top.language))
    if top.intent == Intent.CANCEL_CODE and top.code is not None:
        if builder.state.asking == "cancel":
            builder.move(Step.START)
        return _cancel(builder, top.code)
    names_a_place = bool(
        extract(body, today=builder.today, catalogue=builder.ctx.places).place.places
    )
    if names_a_place:
        return None  # "help me book T&T tomorrow" is a booking.
    in_draft = builder.state.step in {Step.BOOKING, Step.CHOOSE_PLACE, Step.CONFIRM}
    for item in found:
        if item.intent == Intent.STATUS:
            return _status(builder)
        if item.intent == Intent.HELP:
            return _command(builder, CommandMatch(Command.HELP, ""))
        if item.intent == Intent.DROP and in_draft:
            builder.state = _fresh(builder.state)
            return builder.text("draft_dropped")
        if item.intent in {Intent.CANCEL_ASK, Intent.DROP} and not in_draft:
            rides = rider.upcoming if rider is not None else ()
            if not rides:
                return builder.text("status_none")
            builder.move(Step.START, asking="cancel")
            return builder.text("cancel_which", example=rides[0].reference_code)
        if item.intent == Intent.THANKS and not in_draft:
            return builder.text("you_are_welcome")
    return None


def _ride_line(builder: TurnBuilder, ride: UpcomingRide) -> str:
    local = aware_utc(ride.at).astimezone(builder.zone)
    day = format_date(local.date(), builder.language)
    at = format_time(local.time(), builder.language)
    place = ride.place_name_zh if builder.language == "zh-Hant" else ride.place_name_en
    when = f"{day}{at}" if builder.language == "zh-Hant" else f"{day} {at}"
    return f"{when} {place or ride.place_name_en} ({ride.reference_code})"


def _status(builder: TurnBuilder) -> str:
    rider = builder.ctx.rider
    rides = sorted(rider.upcoming, key=lambda r: aware_utc(r.at)) if rider is not None else []
    if not rides:
        return builder.text("status_none")
    lines = [_ride_line(builder, ride) for ride in rides[:_STATUS_LIMIT]]
    budget = _STATUS_BUDGET[builder.language]
    listed = fit_list(lines, builder.language, budget=budget)
    return builder.text("status_list", rides=listed, example=rides[0].reference_code)


def _cancel(builder: TurnBuilder, code: str) -> str:
    rider = builder.ctx.rider
    codes = {ride.reference_code.upper() for ride in rider.upcoming} if rider else set()
    if code.upper() not in codes:
        return builder.text("cancel_unknown", code=code.upper())
    builder.actions.append(CancelRide(code.upper()))
    return builder.text("cancelled", code=code.upper())


def _step(builder: TurnBuilder, body: str) -> str:
    step = builder.state.step
    if step == Step.REG_NAME:
        return _registration_name(builder, body)
    if step == Step.REG_ADDRESS:
        return _registration_address(builder, body)
    if step == Step.START and _needs_registration(builder):
        # Keep whatever ride details the first text had, so they are not asked again later.
        found = extract(body, today=builder.today, catalogue=builder.ctx.places)
        if found.anything:
            handle_booking(builder, body)
        builder.move(Step.REG_NAME)
        return builder.text("welcome_new", programme=builder.ctx.programme_name)
    if step == Step.START and builder.ctx.rider is not None:
        # Needs on file (a wheelchair, say) apply to every new booking unless changed.
        usual = tuple(need for need in NEEDS if need in builder.ctx.rider.needs)
        builder.set_draft(replace(builder.draft, needs=usual))
    if step == Step.CHOOSE_PLACE:
        return handle_choice(builder, body)
    if step == Step.CONFIRM:
        return handle_confirm(builder, body)
    return handle_booking(builder, body)


def _registration_name(builder: TurnBuilder, body: str) -> str:
    found = extract(body, today=builder.today, catalogue=builder.ctx.places)
    name = _NAME_PREFIX.sub("", " ".join(body.split())).strip(" .,!")
    if found.place.places or found.ride_date or found.ride_time:
        # Ride details, not a name: keep them for after sign-up and ask for the name again.
        handle_booking(builder, body)
        builder.move(Step.REG_NAME)
        return builder.text("ask_name_again")
    if OPT_OUT_MENTION.search(normalise(body)):
        return builder.text("stop_hint")
    if yes_or_no(body) is not None or not _HAS_WORD.search(name):
        return builder.text("ask_name_again")
    if len(name) > _MAX_NAME:
        return builder.text("ask_name_again")
    builder.state = replace(builder.state, reg_name=name)
    builder.move(Step.REG_ADDRESS)
    return builder.text("ask_address")


def _registration_address(builder: TurnBuilder, body: str) -> str:
    address = " ".join(body.split())[:200]
    meaningful = len(address) >= 4 and _HAS_WORD.search(address) is not None
    if not meaningful or yes_or_no(body) is not None:
        return builder.text("ask_address_again")
    name = builder.state.reg_name or "?"
    builder.actions.append(
        RegisterRider(name=name, home_address=address, language=builder.language)
    )
    builder.state = replace(builder.state, registered=True, reg_name=None)
    builder.move(Step.BOOKING)
    return join(builder.text("registered"), current_question(builder, needs_registration=False))
