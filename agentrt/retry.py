"""`RetryPolicy`: how many times to try again and how long to wait before each try. One formula for the graph
runtime's node retries and the remote engine's request retries."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RetryPolicy(BaseModel):
    """Exponential backoff: wait ``backoff_s`` before the first retry, doubling per retry, capped at ``max_backoff_s``.

    A server's own ``Retry-After`` (when there is one) replaces the computed wait, within the same cap.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    retries: int = Field(0, ge=0, le=50, description="extra attempts after the first")
    backoff_s: float = Field(0.5, ge=0.0, le=600.0, description="wait before the first retry; doubles per retry")
    max_backoff_s: float = Field(60.0, ge=0.0, description="the longest wait between two attempts")

    @property
    def attempts(self) -> int:
        """Attempts in all, the first included."""
        return self.retries + 1

    def delay_s(self, retry: int, *, retry_after_s: float | None = None) -> float:
        """The wait before retry number ``retry`` (1 = the first retry, i.e. the second attempt)."""
        if retry < 1:
            return 0.0
        wanted = retry_after_s if retry_after_s is not None else self.backoff_s * 2 ** (retry - 1)
        return min(wanted, self.max_backoff_s)
