"""Moved to :mod:`zsfield.screens.project.modals`; this name stays for importers not yet updated."""

from zsfield.screens.project.modals import *  # noqa: F403
from zsfield.screens.project.modals import FormModal, SelectField

__all__ = ["FormModal", "SelectField"]
