"""Table cells show names exactly as typed: brackets in a company name are not Rich markup."""

from __future__ import annotations

from textual.widgets._data_table import default_cell_formatter

from zsfield.widgets.paged_table import plain_cells


def test_brackets_in_names_survive_the_table() -> None:
    names = ["ACME [asia] GmbH", "丰田通商[上海]有限公司", "[b]not bold[/b]", "普通名称"]
    cells = plain_cells([*names, 42])
    shown = [default_cell_formatter(cell).plain for cell in cells[:-1]]  # type: ignore[union-attr]
    assert shown == names
    assert cells[-1] == 42 and cells[3] == "普通名称"  # other cells pass as they are
