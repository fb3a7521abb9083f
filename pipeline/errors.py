"""The pipeline's exceptions: the CLI turns each into a one-line message and an exit status."""


class PipelineError(Exception):
    """Base of every error the CLI reports without a traceback."""


class SourceError(PipelineError):
    """A source file has problems; its diagnostics say which."""

    def __init__(self, diagnostics):
        super().__init__(f"{len(diagnostics)} problem(s)")
        self.diagnostics = diagnostics


class BuildError(PipelineError):
    """A handout could not be rendered (over its page budget, a blocked fetch, ...)."""


class SetupError(PipelineError):
    """The project itself is broken: a missing font, template or label file."""
