"""The fuzz stage: Schemathesis against the app's own `/schema/openapi.json`, per role.

A real server (uvicorn on a port, the fake Graph API behind it) holds a workspace with a
connected account, conversations made by signed webhooks and decoy members. Schemathesis
(its `st run` command, in subprocesses) then sends every operation valid and invalid data
as an admin, a supervisor and an agent, each signed in with a session and its CSRF token,
and fails on any 5xx: the admin's run has the coverage phase (every boundary and wrong
type of every parameter) and the fuzzing phase, the others the fuzzing phase; in fuzzing,
the hooks of tests/fuzz/nasty.py put NUL characters, ids past bigint, years out of range
and deep nesting where the schema's types allow them. The budget is bounded (10 examples
per operation; the three runs at once take about a minute on the 2-core machine); the
seed is fixed so CI is repeatable: WAZIFY_FUZZ_SEED=<n> explores others and
WAZIFY_FUZZ_EXAMPLES=<n> goes deeper (seeds 1 and 2 at 40 examples found nothing).

Left out: sign-out (it would end the fuzzing session) and the password change (each try
costs an Argon2 derivation; its body is of the same kind as sign-in's, which is fuzzed).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import resource
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import msgspec
import pytest

from tests.support.live import live_server
from tests.support.world import Member, World
from wazify.actions.accounts import do_register_account
from wazify.actions.uow import Actor, unit_of_work
from wazify.app import create_app
from wazify.fakemeta.graph import run_fake_graph_in_thread
from wazify.fakemeta.state import FakeGraphState
from wazify.fakemeta.webhooks import ACCOUNT, body, encode_body, entry, signed, text_message
from wazify.lib.passwords import hash_password
from wazify.runtime import Runtime
from wazify.settings import Settings

SYSTEM = Actor.system("fuzz")
TOKEN = "IGAAT-fuzz-access-token-0123456789"
SEED = int(os.environ.get("WAZIFY_FUZZ_SEED", "20261203"))
EXAMPLES = int(os.environ.get("WAZIFY_FUZZ_EXAMPLES", "10"))
EXCLUDED = ["/api/v1/auth/logout", "/api/v1/me/password"]
# The same for every role (no credential needed): fuzzed in the admin's run only.
PUBLIC = ["/api/v1/auth/login", "/api/v1/invitations/accept"]
# Per role: Schemathesis's phases and what it leaves out besides EXCLUDED. The coverage
# phase (every boundary and wrong type of every parameter) mostly meets validation that
# comes after the role's guard, so the admin, who passes every guard, runs it.
PLANS: dict[str, tuple[str, list[str]]] = {
    "admin": ("coverage,fuzzing", []),
    "supervisor": ("fuzzing", PUBLIC),
    "agent": ("fuzzing", PUBLIC),
}
DECOYS = 10
ROOT = Path(__file__).resolve().parents[2]
HOOKS = "tests.fuzz.nasty"  # NUL, past-bigint ids, years out of range, deep bodies


@pytest.fixture(scope="module")
def fake_graph() -> Iterator[tuple[str, FakeGraphState]]:
    url, state, stop = run_fake_graph_in_thread()
    state.add_token(TOKEN, ACCOUNT)
    yield url, state
    stop()


@dataclasses.dataclass
class Target:
    address: str
    members: dict[str, Member]


async def _populate(runtime: Runtime, address: str) -> dict[str, Member]:
    world = World(runtime, hash_password("correct horse battery staple"))
    workspace_id = await world.workspace("shop")
    # Decoys take the low ids, which the coverage phase tries (minimum 1): deactivating or
    # demoting one of them is fine; deactivating the fuzzing member would end its session.
    for number in range(DECOYS):
        await world.member(workspace_id, f"decoy{number}@shop.test", "agent", session=False)
    async with unit_of_work(runtime, SYSTEM) as uow:
        await do_register_account(uow, workspace_id, ig_id=ACCOUNT, username="shop", token=TOKEN)
    members = {role: await world.member(workspace_id, f"{role}@shop.test", role) for role in PLANS}
    async with httpx.AsyncClient(base_url=f"http://{address}") as http:
        for number in range(3):
            raw = encode_body(
                body([entry(ACCOUNT, [text_message(ACCOUNT, f"75000000000{number}", "hi")])])
            )
            headers = signed(raw, runtime.settings.meta_app_secrets[0])
            assert (await http.post("/webhooks/instagram", content=raw, headers=headers)).is_success
    return members


@pytest.fixture
async def target(
    settings: Settings, runtime: Runtime, fake_graph: tuple[str, FakeGraphState]
) -> AsyncIterator[Target]:
    url = fake_graph[0]
    fuzz_settings = msgspec.structs.replace(
        settings,
        meta_graph_url=url,
        meta_oauth_authorize_url=f"{url}/oauth/authorize",
        meta_oauth_token_url=f"{url}/oauth/access_token",
    )
    rt = dataclasses.replace(runtime, settings=fuzz_settings)
    async with live_server(create_app(fuzz_settings, runtime=rt)) as address:
        yield Target(address, await _populate(rt, address))


async def _schemathesis(address: str, member: Member, workdir: Path) -> tuple[int, str]:
    phases, left_out = PLANS[member.role]
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"http://{address}/schema/openapi.json",
        "--checks=not_a_server_error",
        f"--phases={phases}",
        f"--max-examples={EXAMPLES}",
        f"--seed={SEED}",
        "--workers=1",
        "--no-shrink",
        "--suppress-health-check=all",
        "--request-timeout=10",
        "--warnings=off",
        "--generation-database=none",
        *(f"--exclude-path={path}" for path in [*EXCLUDED, *left_out]),
        *(f"--header={name}: {value}" for name, value in member.headers.items()),
        *os.environ.get("WAZIFY_FUZZ_ARGS", "").split(),
    ]
    process = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=workdir,  # Schemathesis keeps a cache of crashes in .schemathesis/ there
        env={**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT), "SCHEMATHESIS_HOOKS": HOOKS},
    )
    out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(errors="replace")


def _cpu_seconds() -> float:
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.mark.timeout(300)
async def test_no_operation_answers_5xx_to_any_role(target: Target, tmp_path: Path) -> None:
    started = time.monotonic()
    cpu_before = _cpu_seconds()
    # The three runs at once: Schemathesis's generation is most of the CPU, and the
    # server, in this process, leaves the second core to it.
    runs = await asyncio.gather(
        *(_schemathesis(target.address, target.members[role], tmp_path) for role in PLANS)
    )
    elapsed = time.monotonic() - started
    failures = []
    for role, (code, output) in zip(PLANS, runs, strict=True):
        summary = output[output.rfind("Test cases:") :].strip()
        print(f"fuzz {role}: {' '.join(summary.split()[:6])}")
        if code != 0:
            failures.append(f"--- as {role} (seed {SEED}) ---\n{output[-6000:]}")
    cpu = _cpu_seconds() - cpu_before  # the server's and Schemathesis's: the machine's load
    print(
        f"fuzz stage: 3 roles, seed {SEED}, {EXAMPLES} examples per operation:"
        f" {elapsed:.1f} s, {cpu:.1f} s of CPU"
    )
    assert not failures, "\n".join(failures)
