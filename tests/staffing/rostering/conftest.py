from tests.staffing.rostering.fixtures import english

__all__ = ["english"]
