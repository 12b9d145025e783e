"""The one error type of the data stage.

Why a ValueError subclass: callers (DVC, training, tests) can catch bad input with the standard
type, and the message always names the file or config key and the problem.
"""

from __future__ import annotations


class DataError(ValueError):
    """Bad input data, a bad manifest or shard, or an unreadable source.

    `where` is the file path, URI or dotted config key; `problem` says what is wrong.
    """

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem

    def __reduce__(self):  # Ray/Tune pickle and copy exceptions: rebuild from both arguments
        return (type(self), (self.where, self.problem))
