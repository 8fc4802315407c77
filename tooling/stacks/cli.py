"""The `pulumi` CLI as a subprocess, one layer at a time: the runner every command uses.

It knows stacks and commands, nothing of promotion, policy or confirmation: the guard
(tooling/stacks/guard.py) decides what a change of a stack needs, and is the only caller of `up`
and `destroy`.
"""

import json
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any

from tooling.stacks.types import LayerFailure, Stack, Stopped

# What `pulumi up --plan` prints when the update leaves the saved plan (the engine's wording).
PLAN_VIOLATION = "violates plan"
SALT_KEY = "encryptionsalt:"


class PulumiCli:
    """`pulumi <args> --cwd <layer> --stack <org>/<layer>/<env> --non-interactive` via subprocess."""

    def __init__(self, executable: str, env: Mapping[str, str]) -> None:
        self.executable = executable
        self.env = dict(env)

    def argv(self, stack: Stack, args: Sequence[str]) -> list[str]:
        return [self.executable, *args, "--cwd", str(stack.cwd), "--stack", stack.name, "--non-interactive"]

    def run(self, stack: Stack, *args: str) -> None:
        """Runs with the terminal attached, so the user sees Pulumi's progress."""
        self._finish(args, subprocess.Popen(self.argv(stack, args), env=self.env))

    def run_watched(self, stack: Stack, *args: str) -> None:
        """Like `run`, with Pulumi's output passed through line by line, so that a failure can say
        which resource left the saved update plan and how (the lines saying it `violates plan`)."""
        process = subprocess.Popen(
            self.argv(stack, args), env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        violations: list[str] = []
        try:
            self._finish(args, process, lambda out: _pass_through(out, violations))
        except LayerFailure as exc:
            if violations:
                raise LayerFailure(f"{exc}: the update left its saved plan: {'; '.join(violations)}") from exc
            raise

    def read_json(self, stack: Stack, *args: str) -> Any:
        process = subprocess.Popen(self.argv(stack, args), env=self.env, stdout=subprocess.PIPE, text=True)
        stdout = self._finish(args, process)
        try:
            return json.loads(stdout or "null")
        except json.JSONDecodeError as exc:
            raise LayerFailure(f"`pulumi {' '.join(args)}` printed no JSON ({exc})") from exc

    def select(self, stack: Stack, *, note_salt: bool = True) -> None:
        """`stack select --create`. Creating a stack with the passphrase provider makes Pulumi write
        `encryptionsalt` into the tracked stack file: say so, since the change must be committed
        (`note_salt=False` for a stack file git ignores)."""
        had_salt = _has_salt(stack)
        self.run(stack, "stack", "select", "--create")
        if note_salt and not had_salt and _has_salt(stack):
            print(
                f"note: Pulumi wrote encryptionsalt into {stack.cwd.name}/{stack.stack_file.name} (the passphrase "
                "provider's salt of the new stack): commit that file, since every later run of this stack "
                "needs the same salt and the promotion gate refuses an uncommitted change",
                flush=True,
            )

    @staticmethod
    def _finish(
        args: Sequence[str],
        process: "subprocess.Popen[str] | subprocess.Popen[bytes]",
        consume: Callable[[IO[str]], None] | None = None,
    ) -> str:
        """Waits for pulumi, even through Ctrl-C: pulumi gets the same signal and cancels cleanly.

        Killing it instead would leave the stack locked with pending operations. An interrupted
        layer counts as failed, so no later layer starts.
        """
        interrupted = False
        stdout: Any = ""
        while True:
            try:
                if consume is not None and process.stdout is not None:
                    consume(process.stdout)  # type: ignore[arg-type]
                stdout, _ = process.communicate()
                break
            except KeyboardInterrupt:
                interrupted = True
                print("interrupted: waiting for pulumi to stop cleanly", file=sys.stderr, flush=True)
        if interrupted:
            raise LayerFailure(f"`pulumi {' '.join(args)}` was interrupted (Ctrl-C)")
        if process.returncode != 0:
            raise LayerFailure(f"`pulumi {' '.join(args)}` exited with {process.returncode}")
        return stdout if isinstance(stdout, str) else ""


def _pass_through(out: IO[str], violations: list[str]) -> None:
    for line in out:
        sys.stdout.write(line)
        sys.stdout.flush()
        if PLAN_VIOLATION in line:
            violations.append(line.strip().removeprefix("error: "))


def _has_salt(stack: Stack) -> bool:
    path = stack.stack_file
    return path.is_file() and any(line.startswith(SALT_KEY) for line in path.read_text().splitlines())


def for_each_layer(stacks: Sequence[Stack], step: Callable[[Stack], None], action: str, hint: str = "") -> None:
    """Runs `step` per layer in the given order; the first failure stops the run, naming the layer."""
    for index, stack in enumerate(stacks):
        print(f"==> {action} {stack.layer} ({stack.name})", flush=True)
        try:
            step(stack)
        except LayerFailure as exc:
            not_run = ", ".join(s.layer for s in stacks[index + 1 :]) or "none"
            raise Stopped(
                f"{action} stopped at layer {stack.layer} ({stack.name}): {exc}; not run: {not_run}{hint}"
            ) from exc
