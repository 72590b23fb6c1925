"""Approvals: "my approvals" on the phone, the rule editor and tester in /admin,
delegation while away, and the post-audit queue of filed (备案) requests on the desk.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_409_CONFLICT

from core.clock import now
from core.default_plugin import ADMIN, AUDIT_VIEW
from core.i18n import gettext as _
from core.identity.roles import ROLES, role_label
from core.identity.service import audit, normalise_login
from core.lifecycle.approvals import (
    MODES,
    STEP_KINDS,
    ApprovalSubject,
    Rule,
    Step,
    decide,
    fact_text,
)
from core.lifecycle.forms import read_amount
from core.lifecycle.routing import (
    NotYourStep,
    decide_step,
    department_parents,
    facts_for,
    local_today,
    open_approvals,
    rule_from_row,
    step_to_dict,
)
from core.lifecycle.states import IllegalTransition
from core.tables import ApprovalRule, ApprovalTask, Delegation, Department, PostAudit, User
from web.auth import current_actor, permission_required
from web.errors import Refused
from web.forms import Form
from web.live import announce
from web.templating import render

admin_only = [permission_required(ADMIN)]
MAX_STEPS = 4
MAX_LEVELS_UP = 10  # a department head this many levels above the requester's department


# -- my approvals ----------------------------------------------------------------------


@get("/approvals")
async def my_approvals(request: Request[Any, Any, Any]) -> Template:
    actor = current_actor(request)
    rows = await open_approvals(actor)
    return await render(
        request, "approvals/list.html", {"rows": rows, "services": request.app.state.services}
    )


@post("/approvals/{step_id:int}/{decision:str}")
async def decide_approval(
    request: Request[Any, Any, Any], step_id: FromPath[int], decision: FromPath[str]
) -> Template | Redirect:
    actor = current_actor(request)
    if decision not in ("approve", "reject"):
        raise NotFoundException()
    form = await Form.read(request)
    comment = form.get("comment")[:1000]
    if decision == "reject" and not comment:
        rows = await open_approvals(actor)
        form.error(f"comment-{step_id}", _("Say why, so the requester knows what to change."))
        return await render(
            request,
            "approvals/list.html",
            {"rows": rows, "services": request.app.state.services, "form": form},
            status_code=422,
        )
    try:
        _status, number = await decide_step(actor, step_id, decision == "approve", comment)
    except IllegalTransition as exc:  # the request was withdrawn meanwhile
        raise Refused(
            _("This approval has already been decided, or it is not yours."), HTTP_409_CONFLICT
        ) from exc
    except NotYourStep as exc:
        asked = await ApprovalTask.exists().where(
            (ApprovalTask.org == actor.org_id)
            & (ApprovalTask.step == step_id)
            & (ApprovalTask.user == actor.user_id)
        )
        if not asked:  # never this person's to decide: it does not exist for them
            raise NotFoundException() from exc
        raise Refused(
            _("This approval has already been decided, or it is not yours."), HTTP_409_CONFLICT
        ) from exc
    announce(request, actor.org_id, number)
    message = _("Approved.") if decision == "approve" else _("Rejected; the requester is told why.")
    flash(request, category="success", message=message)
    return Redirect("/approvals", status_code=303)


# -- delegation ------------------------------------------------------------------------


async def _delegations(actor_org: int, user_id: int, today: date) -> list[dict[str, Any]]:
    return (
        await Delegation.select(
            Delegation.id,
            Delegation.starts,
            Delegation.ends,
            Delegation.delegate.display_name.as_alias("delegate_name"),
        )
        .where(
            (Delegation.org == actor_org)
            & (Delegation.delegator == user_id)
            & (Delegation.ends >= today)
        )
        .order_by(Delegation.starts)
    )


@get("/me/delegation")
async def delegation_page(request: Request[Any, Any, Any]) -> Template:
    actor = current_actor(request)
    rows = await _delegations(actor.org_id, actor.user_id, local_today(actor.time_zone))
    return await render(
        request, "approvals/delegation.html", {"rows": rows, "form": Form(), "back_url": "/me"}
    )


def _date(form: Form, name: str, message: str) -> date | None:
    try:
        return date.fromisoformat(form.get(name))
    except ValueError:
        form.error(name, message)
        return None


@post("/me/delegation")
async def delegation_create(request: Request[Any, Any, Any]) -> Template | Redirect:
    actor = current_actor(request)
    form = await Form.read(request)
    login = normalise_login(form.get("delegate"))
    delegate = (
        await User.select(User.id)
        .where((User.login == login) & (User.org == actor.org_id) & User.is_active.eq(True))
        .first()
    )
    if delegate is None:
        form.error(
            "delegate",
            _("No one in your organisation has the account name %(login)s.")
            % {"login": login or "—"},
        )
    elif delegate["id"] == actor.user_id:
        form.error("delegate", _("Choose someone other than yourself."))
    starts = _date(form, "starts", _("Enter the first day, e.g. 2026-12-01."))
    ends = _date(form, "ends", _("Enter the last day, e.g. 2026-12-05."))
    if starts and ends and ends < starts:
        form.error("ends", _("The last day cannot be before the first day."))
    today = local_today(actor.time_zone)
    if form.ok and ends and ends < today:
        form.error("ends", _("The last day has already passed."))
    if not form.ok:
        rows = await _delegations(actor.org_id, actor.user_id, today)
        return await render(
            request,
            "approvals/delegation.html",
            {"rows": rows, "form": form, "back_url": "/me"},
            status_code=422,
        )
    await Delegation.insert(
        Delegation(
            org=actor.org_id,
            delegator=actor.user_id,
            delegate=delegate["id"],
            starts=starts,
            ends=ends,
        )
    )
    await audit(actor.org_id, actor.user_id, "delegation.created", login)
    flash(
        request,
        category="success",
        message=_("Your approvals go to %(login)s on those days.") % {"login": login},
    )
    return Redirect("/me/delegation", status_code=303)


@post("/me/delegation/{delegation_id:int}/delete")
async def delegation_delete(
    request: Request[Any, Any, Any], delegation_id: FromPath[int]
) -> Redirect:
    actor = current_actor(request)
    deleted = (
        await Delegation.delete()
        .where(
            (Delegation.id == delegation_id)
            & (Delegation.org == actor.org_id)
            & (Delegation.delegator == actor.user_id)
        )
        .returning(Delegation.id)
    )
    if not deleted:
        raise NotFoundException()
    flash(request, category="success", message=_("The delegation is ended."))
    return Redirect("/me/delegation", status_code=303)


# -- rules (admin) ---------------------------------------------------------------------


def mode_label(mode: str) -> str:
    return {
        "auto": _("Approve automatically"),
        "filing": _("File only (备案), sample for audit"),
        "chain": _("Approval chain"),
    }.get(mode, mode)


def step_label(step: dict[str, Any]) -> str:
    kind = step.get("kind")
    if kind == "department_head":
        up = int(step.get("levels_up") or 0)
        return (
            _("Head of the requester's department")
            if not up
            else _("Department head, %(n)d level(s) up") % {"n": up}
        )
    if kind == "role":
        return _("Anyone with the role %(role)s") % {"role": role_label(step.get("role") or "", _)}
    if kind == "service_admin":
        return _("The service's admins")
    return _("Any one of: %(names)s") % {
        "names": ", ".join(str(u) for u in step.get("user_ids") or [])
    }


def _rule_context(
    request: Request[Any, Any, Any], form: Form, rule_id: int | None = None
) -> dict[str, Any]:
    services = request.app.state.services.types
    return {
        "form": form,
        "rule_id": rule_id,
        "service_options": [("*", _("Any service"))]
        + [(s, st.name(_)) for s, (st, _o) in services.items()],
        "modes": [(m, mode_label(m)) for m in ("auto", "filing", "chain")],
        "roles": [(r, role_label(r, _)) for r in ROLES],
        "step_kinds": [
            ("department_head", _("Department head")),
            ("role", _("A role")),
            ("service_admin", _("Service admins")),
        ],
        "max_steps": MAX_STEPS,
    }


async def _rules_page(
    request: Request[Any, Any, Any], test: dict[str, Any] | None = None, status: int = 200
) -> Template:
    actor = current_actor(request)
    rows = (
        await ApprovalRule.select()
        .where(ApprovalRule.org == actor.org_id)
        .order_by(ApprovalRule.position, ApprovalRule.id)
        .output(load_json=True)
    )
    depts = (
        await Department.select(Department.id, Department.name)
        .where(Department.org == actor.org_id)
        .order_by(Department.name)
        .limit(500)
    )
    return await render(
        request,
        "admin/approvals.html",
        {
            "rules": rows,
            "mode_label": mode_label,
            "step_label": step_label,
            "test": test or {"form": Form({"service": "general"})},
            "service_options": [
                (s, st.name(_)) for s, (st, _o) in request.app.state.services.types.items()
            ],
            "department_options": [(d["id"], d["name"]) for d in depts],
        },
        status_code=status,
    )


@get("/admin/approvals", guards=admin_only)
async def rules_page(request: Request[Any, Any, Any]) -> Template:
    return await _rules_page(request)


async def _read_rule(request: Request[Any, Any, Any], form: Form, org_id: int) -> dict[str, Any]:
    services = request.app.state.services
    values: dict[str, Any] = {
        "name": form.required(
            "name", _("Name the rule, e.g. “Small purchases”."), 200, _("At most 200 characters.")
        ),
    }
    values["position"] = (
        form.integer(
            "position",
            0,
            99999,
            _("Enter a whole number from 0 to 99999: lower numbers are tried first."),
            required=False,
        )
        or 100
    )
    service = form.get("service") or "*"
    if service != "*" and services.get(service) is None:
        form.error("service", _("Choose a service from the list."))
    values["service"] = service
    kinds = [k.strip() for k in form.get("kinds").replace("，", ",").split(",") if k.strip()]
    if kinds and service != "*":
        known = {k.code for k in services.get(service).kinds} if services.get(service) else set()
        unknown = sorted(set(kinds) - known)
        if unknown:
            form.error(
                "kinds",
                _("Unknown kinds for this service: %(kinds)s") % {"kinds": ", ".join(unknown)},
            )
    values["kinds"] = kinds
    values["min_amount"] = read_amount(form, "min_amount")
    values["max_amount"] = read_amount(form, "max_amount")
    if (
        values["min_amount"] is not None
        and values["max_amount"] is not None
        and values["min_amount"] > values["max_amount"]
    ):
        form.error("max_amount", _("The upper amount must not be below the lower amount."))
    parents = await department_parents(org_id)
    departments = [d for d in form.ids("departments") if d in parents]
    values["departments"] = departments
    values["requester_roles"] = [r for r in form.getall("requester_roles") if r in ROLES]
    mode = form.get("mode")
    if mode not in MODES:
        form.error("mode", _("Choose how requests matching this rule are approved."))
    values["mode"] = mode
    steps: list[Step] = []
    if mode == "chain":
        for i in range(MAX_STEPS):
            kind = form.get(f"step{i}_kind")
            if not kind:
                continue
            if kind not in STEP_KINDS or kind == "any_of":
                form.error("steps", _("Choose each step from the list."))
                continue
            role = form.get(f"step{i}_role") or None
            if kind == "role" and role not in ROLES:
                form.error("steps", _("A role step needs a role."))
                continue
            levels = form.integer(
                f"step{i}_levels",
                0,
                MAX_LEVELS_UP,
                _("Levels up: a whole number from 0 to %(n)d.") % {"n": MAX_LEVELS_UP},
                required=False,
            )
            if f"step{i}_levels" in form.errors:
                form.error("steps", form.errors[f"step{i}_levels"])
                continue
            steps.append(
                Step(
                    kind=kind,
                    role=role if kind == "role" else None,
                    levels_up=(levels or 0) if kind == "department_head" else 0,
                )
            )
        if not steps and "steps" not in form.errors:
            form.error("steps", _("An approval chain needs at least one step."))
    values["steps"] = [step_to_dict(s) for s in steps]
    percent = form.integer(
        "sample_percent", 0, 100, _("Enter a share between 0 and 100."), required=False
    )
    values["sample_percent"] = (percent or 0) if mode == "filing" else 0
    values["active"] = form.get("active") == "on"
    return values


@get("/admin/approvals/new", guards=admin_only)
async def rule_new(request: Request[Any, Any, Any]) -> Template:
    form = Form(
        {
            "service": "*",
            "mode": "chain",
            "position": "100",
            "active": "on",
            "step0_kind": "department_head",
        }
    )
    return await render(request, "admin/approval_rule.html", _rule_context(request, form))


@get("/admin/approvals/{rule_id:int}", guards=admin_only)
async def rule_edit(request: Request[Any, Any, Any], rule_id: FromPath[int]) -> Template:
    actor = current_actor(request)
    rows = (
        await ApprovalRule.select()
        .where((ApprovalRule.id == rule_id) & (ApprovalRule.org == actor.org_id))
        .output(load_json=True)
    )
    if not rows:
        raise NotFoundException()
    row = rows[0]
    data: dict[str, Any] = {
        "name": row["name"],
        "position": str(row["position"]),
        "service": row["service"],
        "kinds": ", ".join(row["kinds"] or []),
        "min_amount": "" if row["min_amount"] is None else str(row["min_amount"]),
        "max_amount": "" if row["max_amount"] is None else str(row["max_amount"]),
        "departments": [str(d) for d in row["departments"] or []],
        "requester_roles": list(row["requester_roles"] or []),
        "mode": row["mode"],
        "sample_percent": str(row["sample_percent"]),
        "active": "on" if row["active"] else "",
    }
    for i, step in enumerate(row["steps"] or []):
        data[f"step{i}_kind"] = step["kind"]
        data[f"step{i}_role"] = step.get("role") or ""
        data[f"step{i}_levels"] = str(step.get("levels_up") or 0)
    return await render(
        request, "admin/approval_rule.html", _rule_context(request, Form(data), rule_id)
    )


async def _save_rule(request: Request[Any, Any, Any], rule_id: int | None) -> Template | Redirect:
    actor = current_actor(request)
    form = await Form.read(request)
    values = await _read_rule(request, form, actor.org_id)
    if form.ok:
        try:
            rule_from_row({"id": rule_id or 0, **values}).validate()
        except ValueError as exc:
            form.error("mode", _("This rule does not hold together: %(why)s") % {"why": str(exc)})
    if not form.ok:
        return await render(
            request,
            "admin/approval_rule.html",
            _rule_context(request, form, rule_id),
            status_code=422,
        )
    if rule_id is None:
        await ApprovalRule.insert(ApprovalRule(org=actor.org_id, **values))
        action = "approval_rule.created"
    else:
        await ApprovalRule.update(
            {
                **{getattr(ApprovalRule, k): v for k, v in values.items()},
                ApprovalRule.updated_at: now(),
            }
        ).where((ApprovalRule.id == rule_id) & (ApprovalRule.org == actor.org_id))
        action = "approval_rule.updated"
    await audit(actor.org_id, actor.user_id, action, values["name"])
    flash(
        request, category="success", message=_("Rule %(name)s is saved.") % {"name": values["name"]}
    )
    return Redirect("/admin/approvals", status_code=303)


@post("/admin/approvals", guards=admin_only)
async def rule_create(request: Request[Any, Any, Any]) -> Template | Redirect:
    return await _save_rule(request, None)


@post("/admin/approvals/{rule_id:int}", guards=admin_only)
async def rule_update(
    request: Request[Any, Any, Any], rule_id: FromPath[int]
) -> Template | Redirect:
    actor = current_actor(request)
    if not await ApprovalRule.exists().where(
        (ApprovalRule.id == rule_id) & (ApprovalRule.org == actor.org_id)
    ):
        raise NotFoundException()
    return await _save_rule(request, rule_id)


@post("/admin/approvals/{rule_id:int}/delete", guards=admin_only)
async def rule_delete(request: Request[Any, Any, Any], rule_id: FromPath[int]) -> Redirect:
    actor = current_actor(request)
    deleted = (
        await ApprovalRule.delete()
        .where((ApprovalRule.id == rule_id) & (ApprovalRule.org == actor.org_id))
        .returning(ApprovalRule.name)
    )
    if not deleted:
        raise NotFoundException()
    await audit(actor.org_id, actor.user_id, "approval_rule.deleted", deleted[0]["name"])
    flash(request, category="success", message=_("The rule is deleted."))
    return Redirect("/admin/approvals", status_code=303)


MAX_TYPED_FACTS = 20


def _typed_facts(form: Form) -> dict[str, object]:
    """``name=value`` lines from the tester's facts box (values compared as text)."""
    facts: dict[str, object] = {}
    lines = [line.strip() for line in form.get("facts").splitlines() if line.strip()]
    for line in lines[:MAX_TYPED_FACTS]:
        name, sep, value = line.partition("=")
        if not sep or not name.strip() or len(line) > 200:
            form.error("facts", _("Write one fact per line as name=value, e.g. category=it."))
            break
        facts[name.strip()] = value.strip()
    return facts


@post("/admin/approvals/test", guards=admin_only)
async def rule_test(request: Request[Any, Any, Any]) -> Template:
    """ "Which rule would match?" for a sample request, without creating anything."""
    actor = current_actor(request)
    form = await Form.read(request)
    services = request.app.state.services
    service = form.get("service")
    if services.get(service) is None:
        form.error("service", _("Choose a service from the list."))
    amount = read_amount(form, "amount")
    login = normalise_login(form.get("requester"))
    requester = (
        await User.select(User.id, User.department)
        .where((User.login == login) & (User.org == actor.org_id))
        .first()
    )
    if requester is None:
        form.error(
            "requester",
            _("No one in your organisation has the account name %(login)s.")
            % {"login": login or "—"},
        )
    typed = _typed_facts(form)
    if not form.ok:
        return await _rules_page(request, {"form": form}, 422)
    department_id = form.id("department") or requester["department"]
    subject = ApprovalSubject(
        org_id=actor.org_id,
        request_id=None,
        number="test",
        service=service,
        kind=form.get("kind"),
        title="",
        amount=amount,
        requester_id=requester["id"],
        department_id=department_id,
    )
    # The organisation's plugins answer as they would for a real request; facts typed
    # into the tester win, so an admin can try a fact-based rule before a plugin exists.
    facts = await facts_for(subject, hooks=actor.hooks, extra=typed)
    from core.lifecycle.routing import load_rules

    rules: list[Rule] = await load_rules(actor.org_id, service)
    parents = await department_parents(actor.org_id)
    decision = decide(rules, facts, parents, draw=0)  # the tester shows no sampling
    names = {
        r["id"]: r["name"]
        for r in await ApprovalRule.select(ApprovalRule.id, ApprovalRule.name).where(
            ApprovalRule.org == actor.org_id
        )
    }
    result = {
        "rule_name": names.get(decision.rule_id) if decision.rule_id else None,
        "mode": mode_label(decision.mode),
        "steps": [step_label(step_to_dict(s)) for s in decision.steps],
        "facts": sorted((k, fact_text(v) or "") for k, v in facts.facts.items()),
    }
    return await _rules_page(request, {"form": form, "result": result})


# -- post-audit queue (desk) -------------------------------------------------------------


@get("/desk/post-audit", guards=[permission_required(AUDIT_VIEW)])
async def post_audit_queue(request: Request[Any, Any, Any]) -> Template:
    actor = current_actor(request)
    rows = await (
        PostAudit.select(
            PostAudit.id,
            PostAudit.created_at,
            PostAudit.request.number.as_alias("number"),
            PostAudit.request.title.as_alias("title"),
            PostAudit.request.amount.as_alias("amount"),
            PostAudit.request.requester.display_name.as_alias("requester_name"),
        )
        .where((PostAudit.org == actor.org_id) & (PostAudit.status == "pending"))
        .order_by(PostAudit.id)
        .limit(100)
    )
    return await render(request, "desk/post_audit.html", {"rows": rows})


@post("/desk/post-audit/{audit_id:int}", guards=[permission_required(AUDIT_VIEW)])
async def post_audit_decide(
    request: Request[Any, Any, Any], audit_id: FromPath[int]
) -> Template | Redirect:
    actor = current_actor(request)
    if not await PostAudit.exists().where(
        (PostAudit.id == audit_id) & (PostAudit.org == actor.org_id)
    ):
        raise NotFoundException()
    form = await Form.read(request)
    outcome = form.get("outcome")
    note = form.get("note")[:2000]
    if outcome not in ("ok", "finding"):
        raise Refused(_("Choose OK or raise a finding."))
    if outcome == "finding" and not note:
        raise Refused(_("Describe the finding so it can be followed up."), 422)
    done = (
        await PostAudit.update(
            {
                PostAudit.status: outcome,
                PostAudit.auditor: actor.user_id,
                PostAudit.note: note,
                PostAudit.decided_at: now(),
            }
        )
        .where(
            (PostAudit.id == audit_id)
            & (PostAudit.org == actor.org_id)
            & (PostAudit.status == "pending")
        )
        .returning(PostAudit.request)
    )
    if not done:
        raise Refused(_("This audit has already been decided."), HTTP_409_CONFLICT)
    await audit(
        actor.org_id, actor.user_id, f"post_audit.{outcome}", str(done[0]["request"]), note=note
    )
    flash(request, category="success", message=_("Recorded."))
    return Redirect("/desk/post-audit", status_code=303)


APPROVAL_HANDLERS = [
    my_approvals,
    decide_approval,
    delegation_page,
    delegation_create,
    delegation_delete,
    rules_page,
    rule_new,
    rule_edit,
    rule_create,
    rule_update,
    rule_delete,
    rule_test,
    post_audit_queue,
    post_audit_decide,
]
