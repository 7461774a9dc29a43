"""A Jupyter kernel kept by a process that executes several notebooks, reset between them.

Starting a kernel and importing pandas, matplotlib and policylib in it costs about two seconds of
CPU per notebook, more than most of the book's notebooks take to run. A pool worker therefore keeps
one kernel (:class:`KeptKernel`) and, before each notebook, resets it to what a fresh kernel is: an
empty namespace and input history, the execution count at 1, the notebook's working directory.
Imported modules stay, which is the point; policylib's own caches are keyed by file stat and
content, so they stay valid. A notebook that fails, or a kernel that dies or cannot be reset, gets a
new kernel for the next notebook, so an error never leaves state behind.

What the reset does not undo is process-wide state a notebook changes: pandas options, matplotlib's
rcParams, ``sys.path``, environment variables. The book's notebooks set none of it but through
``charts.setup()``, which every chart notebook calls and which sets the same values each time.
``make test`` guards the claim: nbval re-executes every published notebook on a fresh kernel and
compares its outputs with those the kept kernels produced.

papermill still executes each notebook (parameters, metadata, errors): :class:`KeptKernelEngine` is a
papermill engine that runs the notebook's cells on the kept kernel instead of starting its own.
"""

from __future__ import annotations

import contextlib
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

ENGINE = "policylib-kept-kernel"
START_SECONDS = 60
RESET_SECONDS = 60
# nbclient starts its kernels with an in-memory history (no SQLite file shared by parallel kernels).
KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:"]
# What a fresh kernel has: no user variables, no input or output history, the execution count at 1.
# Run silently, so it neither counts as an execution nor leaves a variable.
# The names a fresh kernel's namespace has that the reset removes are put back as they were.
_RESET = (
    "__import__('os').chdir({cwd!r})\n"
    "get_ipython().reset(new_session=True)\n"
    "globals().update({fresh!r})\n"
)
# What a fresh kernel's namespace holds besides IPython's own names (which the reset restores).
FRESH_NAMES = {
    "__doc__": "Automatically created module for IPython interactive environment",
    "__spec__": None,
    "__loader__": None,
    "__package__": None,
}


class KernelResetError(RuntimeError):
    """The kept kernel did not accept its reset."""


class KeptKernel:
    """One kernel for the notebooks a process executes in turn (not shared between threads)."""

    def __init__(self, kernel_name: str) -> None:
        self.kernel_name = kernel_name
        self.km: AsyncKernelManager | None = None
        self.kc: Any = None
        self.started = 0  # kernels started so far, for tests and progress figures

    def _start(self, cwd: str) -> None:
        km = AsyncKernelManager(kernel_name=self.kernel_name)
        run_sync(km.start_kernel)(extra_arguments=list(KERNEL_ARGUMENTS), cwd=cwd)
        kc = km.client()
        kc.start_channels()
        kc.allow_stdin = False  # as nbclient's own client: input() fails at once instead of waiting for an answer
        try:
            run_sync(kc.wait_for_ready)(timeout=START_SECONDS)
        except BaseException:
            kc.stop_channels()
            run_sync(km.shutdown_kernel)(now=True)
            raise
        self.km, self.kc = km, kc
        self.started += 1

    def prepare(self, cwd: str) -> None:
        """A kernel as fresh as a new one, working in ``cwd``: the kept one reset, or else a new one."""
        reset = _RESET.format(cwd=cwd, fresh=FRESH_NAMES)
        if self.km is not None:
            try:
                if run_sync(self.km.is_alive)():
                    self._run(reset)
                    return
            except Exception:  # left in a state it cannot be reset from (e.g. its directory removed)
                pass
            self.close()
        self._start(cwd)
        self._run(reset)

    def _run(self, code: str) -> None:
        """Run ``code`` silently (no output, no count, no history); raise KernelResetError if it fails."""
        reply = run_sync(self.kc.execute_interactive)(
            code, silent=True, store_history=False, timeout=RESET_SECONDS, output_hook=lambda msg: None
        )
        if reply["content"].get("status") != "ok":
            self.close()
            raise KernelResetError(f"the kernel refused {code.splitlines()[0]!r}: {reply['content'].get('evalue', '')}")

    def warm(self, cwd: str, imports: str) -> None:
        """Start the kernel now and run ``imports`` (the notebooks' imports: ``pipeline.imports_of``), so that
        the first notebook does not wait for them; a failure here only leaves the start to :meth:`prepare`."""
        try:
            self.prepare(cwd)
            if imports:
                self._run(imports)
        except Exception:
            self.close()

    def close(self) -> None:
        """Stop the kernel (the next :meth:`prepare` starts a new one)."""
        km, kc = self.km, self.kc
        self.km, self.kc = None, None
        if kc is not None:
            kc.stop_channels()
        if km is not None:
            with contextlib.suppress(Exception):  # already gone
                run_sync(km.shutdown_kernel)(now=True)


class KeptKernelEngine(NBClientEngine):
    """papermill's nbclient engine (the same arguments, the same client), run on the kernel passed as
    ``kept`` (a prepared :class:`KeptKernel`) instead of a kernel of its own."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = 60,
        execution_timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        kept: KeptKernel = kwargs.pop("kept")
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client = PapermillNotebookClient(nb_man, km=kept.km, **final_kwargs)
        client.kc = kept.kc  # a client given its kernel manager neither starts nor stops the kernel
        return client.execute()


papermill_engines.register(ENGINE, KeptKernelEngine)
