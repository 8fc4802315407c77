"""`make release ENV=<env> COLOR=<idle colour> [CANARY=<percent>]` and `make rollback ENV=<env>`:
the web tier's zero-downtime blue/green switch.

release:
 1. refuses (exit 2, one line) unless COLOR is the idle colour of `application:activeColor`;
 2. updates the idle colour: `pulumi up` of the application layer (new launch templates; the
    listener's weights are unchanged, so no traffic moves), then an instance refresh of the idle
    colour's Auto Scaling group, which replaces its instances with ones from the new template;
 3. waits until every target of the idle colour's target group is healthy, and refuses while it
    has unhealthy or no targets;
 4. optional canary: writes `application:canaryPercent`, `pulumi up`, checks health again;
 5. shifts traffic: writes `application:activeColor` (and canaryPercent 0) to the stack file and
    runs `pulumi up`: only the listener's weights change. The old colour keeps running, so
    `make rollback` is one weight change away.
rollback: checks the previous colour is healthy, then writes it back as `activeColor` and runs `pulumi up`.

Every `pulumi up` is the guard's (tooling/stacks/guard.py), cleared once before the first: the
application layer is assessed (its broadening and plan digest printed), the promotion gate runs where
the stack files declare `platform:promotedFrom` (prod releases only what staging ran; OVERRIDE= as for
a deploy), prod needs CONFIRM=prod (or the plan digest, which a broadening plan needs), and each `up`
carries the policy pack, the diff in prod and the deployer.

The stack file is the record of what is live: commit it after a release. A failing `pulumi up`
restores the file to what it was.

Health and instance refreshes come from AWS (ELBv2 describe-target-health, Auto Scaling
start-instance-refresh) behind `Fleet`; with RELEASE_TARGET_HEALTH_FILE set, a JSON file of target
states stands in for AWS (rehearsals and tests). RELEASE_WAIT_SECONDS (default 900) bounds the wait
for healthy targets, polled every RELEASE_POLL_SECONDS (default 15).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from application.settings import COLORS
from shared.stack_files import stack_file
from tooling.checks.render import console
from tooling.stacks import guard
from tooling.stacks.assess import assess_stacks
from tooling.stacks.preflight import LOCAL_STATE, check_confirmation, check_environment, resolve_target
from tooling.stacks.promotion import show
from tooling.stacks.types import FAILED, REFUSED, LayerFailure, Refusal, Stack
from tooling.stacks.types import Target as Environment

LAYER = "application"
ACTIVE_KEY, CANARY_KEY = "application:activeColor", "application:canaryPercent"
HEALTH_FILE_VARIABLE = "RELEASE_TARGET_HEALTH_FILE"
WAIT_SECONDS, POLL_SECONDS = 900.0, 15.0


@dataclass(frozen=True)
class TargetState:
    id: str
    state: str  # healthy, initial, unhealthy, unused, draining, unavailable
    reason: str = ""


class Fleet(Protocol):
    """What a release needs from AWS: the idle colour's instances replaced, and its targets' health."""

    def refresh(self, group_name: str) -> None: ...

    def target_health(self, target_group_arn: str) -> list[TargetState]: ...


class AwsFleet:
    """boto3: Auto Scaling instance refresh (waits until it ends) and ELBv2 describe-target-health."""

    def __init__(self, region: str, poll_seconds: float = POLL_SECONDS, wait_seconds: float = WAIT_SECONDS) -> None:
        import boto3  # noqa: PLC0415 (only real releases need it)

        self._autoscaling = boto3.client("autoscaling", region_name=region)
        self._elbv2 = boto3.client("elbv2", region_name=region)
        self._poll, self._wait = poll_seconds, wait_seconds

    def refresh(self, group_name: str) -> None:
        refresh_id = self._autoscaling.start_instance_refresh(
            AutoScalingGroupName=group_name,
            Strategy="Rolling",
            Preferences={"MinHealthyPercentage": 100, "MaxHealthyPercentage": 200, "InstanceWarmup": 120},
        )["InstanceRefreshId"]
        deadline = time.monotonic() + self._wait
        while time.monotonic() < deadline:
            (refresh,) = self._autoscaling.describe_instance_refreshes(
                AutoScalingGroupName=group_name, InstanceRefreshIds=[refresh_id]
            )["InstanceRefreshes"]
            if refresh["Status"] == "Successful":
                return
            if refresh["Status"] in ("Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed"):
                raise Refusal(
                    f"the instance refresh of {group_name} ended {refresh['Status']}: {refresh.get('StatusReason', '')}"
                )
            time.sleep(self._poll)
        raise Refusal(f"the instance refresh of {group_name} did not finish within {self._wait:.0f} s")

    def target_health(self, target_group_arn: str) -> list[TargetState]:
        described = self._elbv2.describe_target_health(TargetGroupArn=target_group_arn)["TargetHealthDescriptions"]
        return [
            TargetState(d["Target"]["Id"], d["TargetHealth"]["State"], d["TargetHealth"].get("Reason", ""))
            for d in described
        ]


class FileFleet:
    """Target states from a JSON file {target group ARN: [{"id", "state", "reason"}]}; refreshes are recorded."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.refreshed: list[str] = []

    def refresh(self, group_name: str) -> None:
        self.refreshed.append(group_name)
        print(f"instance refresh of {group_name} (rehearsal: {self.path.name})", flush=True)

    def target_health(self, target_group_arn: str) -> list[TargetState]:
        states = json.loads(self.path.read_text()).get(target_group_arn, [])
        return [TargetState(str(s["id"]), str(s["state"]), str(s.get("reason", ""))) for s in states]


# --- the stack file --------------------------------------------------------------------------


def read_color_config(path: Path) -> tuple[str, int]:
    text = path.read_text()
    active = re.search(rf"^\s*{re.escape(ACTIVE_KEY)}:\s*(\w+)\s*$", text, re.MULTILINE)
    canary = re.search(rf"^\s*{re.escape(CANARY_KEY)}:\s*(\d+)\s*$", text, re.MULTILINE)
    if not active or active.group(1) not in COLORS or not canary:
        raise Refusal(f"{LAYER}/{path.name} must set {ACTIVE_KEY} (one of {', '.join(COLORS)}) and {CANARY_KEY}")
    return active.group(1), int(canary.group(1))


def write_color_config(path: Path, active: str, canary: int) -> None:
    """Rewrites the two lines in place: comments and every other key stay as they are."""
    text = path.read_text()
    text = re.sub(rf"^(\s*{re.escape(ACTIVE_KEY)}:).*$", rf"\g<1> {active}", text, count=1, flags=re.MULTILINE)
    text = re.sub(rf"^(\s*{re.escape(CANARY_KEY)}:).*$", rf"\g<1> {canary}", text, count=1, flags=re.MULTILINE)
    path.write_text(text)


def other(color: str) -> str:
    (idle,) = (c for c in COLORS if c != color)
    return idle


# --- the steps -------------------------------------------------------------------------------


@dataclass
class Release:
    command: str  # release or rollback
    target: Environment
    stack: Stack
    fleet: Fleet
    path: Path
    usage: str  # the make command that runs this, for refusals
    confirm: str = ""
    override: str = ""
    wait_seconds: float = WAIT_SECONDS
    poll_seconds: float = POLL_SECONDS
    sleep: Callable[[float], None] = time.sleep
    clearance: guard.Clearance | None = None

    @property
    def env(self) -> str:
        return self.target.env

    def command_line(self, command: str) -> str:
        """`command` as it works here: with CONFIRM=prod in prod."""
        return f"{command} CONFIRM=prod" if self.target.prod else command

    def clear(self) -> guard.Clearance:
        """Once, before the first `up`: the layer's assessment, then the guard's gate and confirmation."""
        if self.clearance is None:
            assessment = assess_stacks(self.target, [self.stack])
            show(assessment, console())
            change = guard.Change(self.command, self.target, [self.stack], self.usage, self.confirm, self.override)
            self.clearance = guard.clear(change, assessment)
        return self.clearance

    def apply(self, why: str) -> None:
        clearance = self.clear()
        print(f"==> pulumi up {LAYER} ({self.stack.name}): {why}", flush=True)
        guard.up(clearance, self.stack)

    def apply_with(self, active: str, canary: int, why: str) -> None:
        """Writes the stack file, runs `pulumi up`, and restores the file if the up fails."""
        before = self.path.read_text()
        write_color_config(self.path, active, canary)
        try:
            self.apply(why)
        except LayerFailure:
            self.path.write_text(before)
            raise

    def outputs(self) -> Mapping[str, Any]:
        outputs = self.clear().cli.read_json(self.stack, "stack", "output", "--json") or {}
        for key in ("webTargetGroupArns", "webAutoScalingGroupNames"):
            if not isinstance(outputs.get(key), dict) or set(outputs[key]) != set(COLORS):
                deploy = self.command_line(f"make deploy ENV={self.env}")
                raise Refusal(f"{self.stack.name} has no output {key} per colour: run {deploy} first")
        return outputs

    def wait_healthy(self, color: str, target_group_arn: str) -> None:
        """Polls until every target is healthy; refuses with the last state it saw."""
        deadline = time.monotonic() + self.wait_seconds
        while True:
            targets = self.fleet.target_health(target_group_arn)
            problem = health_problem(color, self.env, targets)
            if problem is None:
                print(f"{color}: {len(targets)} of {len(targets)} targets healthy", flush=True)
                return
            if time.monotonic() >= deadline:
                raise Refusal(problem)
            self.sleep(self.poll_seconds)


def health_problem(color: str, env: str, targets: Sequence[TargetState]) -> str | None:
    if not targets:
        return f"refusing: {color} has no targets in {env} (is its Auto Scaling group at 0?); traffic stays where it is"
    bad = [t for t in targets if t.state != "healthy"]
    if not bad:
        return None
    shown = ", ".join(f"{t.id} {t.state}{f' ({t.reason})' if t.reason else ''}" for t in bad)
    return (
        f"refusing: {color} has {len(bad)} of {len(targets)} targets not healthy in {env}: {shown}; "
        "traffic stays where it is"
    )


def release(run: Release, color: str, canary: int) -> None:
    active, _ = read_color_config(run.path)
    if color == active:
        idle = run.command_line(f"make release ENV={run.env} COLOR={other(color)}")
        raise Refusal(f"{color} is already active in {run.env}: release to the idle colour, {idle}")
    run.apply(f"update {color}, the idle colour (weights unchanged)")
    outputs = run.outputs()
    run.fleet.refresh(outputs["webAutoScalingGroupNames"][color])
    run.wait_healthy(color, outputs["webTargetGroupArns"][color])
    if canary:
        run.apply_with(active, canary, f"canary: {canary} % to {color}")
        run.wait_healthy(color, outputs["webTargetGroupArns"][color])
    run.apply_with(color, 0, f"all traffic to {color}")
    rollback = run.command_line(f"make rollback ENV={run.env}")
    print(f"released {color} in {run.env}; {active} keeps running: {rollback} switches back")


def rollback(run: Release) -> None:
    active, canary = read_color_config(run.path)
    previous = other(active)
    outputs = run.outputs()
    run.wait_healthy(previous, outputs["webTargetGroupArns"][previous])
    run.apply_with(previous, 0, f"roll back: all traffic to {previous}")
    print(f"rolled back {run.env} to {previous}" + (f" (canary of {canary} % ended)" if canary else ""))


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tooling.stacks.release", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("release", "rollback"))
    parser.add_argument("--env", default="", help="the environment (make: ENV=)")
    parser.add_argument("--color", default="", help=f"the idle colour to release: {', '.join(COLORS)} (make: COLOR=)")
    parser.add_argument(
        "--canary", default="0", help="percent of traffic for a canary step first, 0-50 (make: CANARY=)"
    )
    parser.add_argument("--confirm", default="", help="'prod' (or the plan digest) in prod (make: CONFIRM=prod)")
    parser.add_argument(
        "--override", default="", help="release past a failed promotion gate, with this reason (make: OVERRIDE=)"
    )
    return parser.parse_args(argv)


def usage_of(args: argparse.Namespace) -> str:
    """The working make command for these arguments (refusals name it)."""
    if args.command == "rollback":
        return f"make rollback ENV={args.env}"
    color = args.color if args.color in COLORS else "|".join(COLORS)
    return f"make release ENV={args.env} COLOR={color}"


def check_arguments(args: argparse.Namespace) -> None:
    """Each refusal names the command that works (and lists the allowed values)."""
    colors = "|".join(COLORS)
    check_environment(args.command, args.env, f"COLOR={colors}" if args.command == "release" else "")
    if args.command == "release" and not args.color:
        raise Refusal(f"COLOR is required: make release ENV={args.env} COLOR={colors} (the idle colour)")
    if args.command == "release" and args.color not in COLORS:
        raise Refusal(
            f"COLOR must be one of {', '.join(COLORS)}, not {args.color!r}: make release ENV={args.env} COLOR={colors}"
        )
    if not args.canary.isdigit() or not 0 <= int(args.canary) <= 50:
        raise Refusal(
            f"CANARY must be a percentage from 0 to 50, not {args.canary!r}: "
            f"make release ENV={args.env} COLOR={args.color or colors} CANARY=10"
        )
    rest = f"COLOR={args.color}" if args.command == "release" else ""
    check_confirmation(args.command, args.env, args.confirm, rest)


def prepare(args: argparse.Namespace, environ: Mapping[str, str], home: Path, fleet: Fleet | None) -> Release:
    check_arguments(args)
    usage = usage_of(args)
    target = resolve_target(args.command, args.env, environ, home, aws=True, layers=(LAYER,), usage=usage)
    (stack,) = target.stacks
    if target.backend.defaulted:
        LOCAL_STATE.mkdir(exist_ok=True)
    if fleet is None:
        health_file = environ.get(HEALTH_FILE_VARIABLE)
        fleet = FileFleet(Path(health_file)) if health_file else AwsFleet(str(stack.config["platform:region"]))
    return Release(
        args.command,
        target,
        stack,
        fleet,
        stack_file(LAYER, args.env),
        usage=usage,
        confirm=args.confirm,
        override=args.override,
        wait_seconds=float(environ.get("RELEASE_WAIT_SECONDS", WAIT_SECONDS)),
        poll_seconds=float(environ.get("RELEASE_POLL_SECONDS", POLL_SECONDS)),
    )


def main(argv: Sequence[str] | None = None, fleet: Fleet | None = None) -> int:
    args = parse_args(argv)
    try:
        run = prepare(args, os.environ, Path.home(), fleet)
        if args.command == "release":
            release(run, args.color, int(args.canary))
        else:
            rollback(run)
    except Refusal as exc:
        print(f"error: {exc}", file=sys.stderr)
        return REFUSED
    except LayerFailure as exc:
        print(f"error: {args.command} {args.env} stopped: {exc}; the stack file is unchanged", file=sys.stderr)
        return FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
