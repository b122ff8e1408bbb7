"""Mesa agents: thin views over the arrays, and per-role behaviour."""

from ecosystem.agents.ai import AIModel, Curator

__all__ = ["AIModel", "Curator"]
