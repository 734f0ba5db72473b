"""Control-plane routes under `/_localcloud/`: what people and tests use to see and steer the local cloud."""

from __future__ import annotations

import re

PREFIX = "/_localcloud"

ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(r"^/health/?$"), "health"),
    ("GET", re.compile(r"^/state/?$"), "state"),
    ("GET", re.compile(r"^/state/(?P<service>mns|dms)/?$"), "service_state"),
    ("POST", re.compile(r"^/reset/?$"), "reset"),
    ("POST", re.compile(r"^/seed/?$"), "seed"),
    ("POST", re.compile(r"^/dms/tenants/?$"), "add_tenant"),
    ("POST", re.compile(r"^/dms/workspaces/?$"), "add_workspace"),
    ("GET", re.compile(r"^/credentials/?$"), "list_credentials"),
    ("POST", re.compile(r"^/credentials/?$"), "put_credential"),
    ("POST", re.compile(r"^/credentials/(?P<access_key_id>[^/]+)/expire/?$"), "expire_credential"),
    ("DELETE", re.compile(r"^/credentials/(?P<access_key_id>[^/]+)/?$"), "delete_credential"),
    ("GET", re.compile(r"^/faults/?$"), "list_faults"),
    ("POST", re.compile(r"^/faults/?$"), "add_fault"),
    ("DELETE", re.compile(r"^/faults/?$"), "clear_faults"),
    ("DELETE", re.compile(r"^/faults/(?P<rule_id>\d+)/?$"), "delete_fault"),
    ("GET", re.compile(r"^/calls/?$"), "calls"),
    ("POST", re.compile(r"^/clock/advance/?$"), "advance_clock"),
    ("POST", re.compile(r"^/fc/functions/(?P<resource>[A-Za-z0-9_-]+)/invoke/?$"), "invoke_function"),
    ("POST", re.compile(r"^/fc/timers/(?P<resource>[A-Za-z0-9_-]+)/fire/?$"), "fire_timer"),
]
