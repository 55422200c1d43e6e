"""Messages of the app frame, keys, shared widgets and formatting (中文, English)."""

MESSAGES: dict[str, tuple[str, str]] = {
    # keys (footer and help)
    "key.help": ("帮助", "Help"),
    "key.dashboard": ("今日", "Today"),
    "key.leads": ("线索", "Leads"),
    "key.projects": ("项目", "Projects"),
    "key.sync": ("同步", "Sync"),
    "key.supervision": ("督查", "Supervision"),
    "key.log_visit": ("记拜访", "Log visit"),
    "key.quit": ("退出", "Quit"),
    "key.close": ("关闭", "Close"),
    "key.cancel": ("取消", "Cancel"),
    "key.save": ("保存", "Save"),
    "key.open": ("打开", "Open"),
    "key.back": ("返回", "Back"),
    # screens
    "screen.dashboard": ("今日", "Today"),
    "screen.leads": ("线索", "Leads"),
    "screen.projects": ("项目", "Projects"),
    "screen.sync": ("同步", "Sync"),
    "screen.supervision": ("督查", "Supervision"),
    "screen.help": ("帮助", "Help"),
    "screen.project": ("项目详情", "Project"),
    "screen.lead": ("线索研判", "Lead screening"),
    # app
    "app.store_not_open": ("数据库未能打开", "The database is not open"),
    "app.store_failed": ("无法打开数据库", "Cannot open the database"),
    "app.not_available": ("「{screen}」尚未提供", "“{screen}” is not available yet"),
    "palette.go_help": ("打开「{screen}」", "Go to {screen}"),
    "palette.help": ("查看全部快捷键", "Every key and what it does"),
    "palette.log_visit": ("记录一次拜访并安排下一次跟进", "Log a visit and its next follow-up"),
    "palette.project_help": ("项目 · {stage} · {team}", "Project · {stage} · {team}"),
    "palette.lead_help": ("线索 · {status}", "Lead · {status}"),
    # header
    "header.opening": ("正在打开数据库…", "Opening the database…"),
    "header.no_office": ("未设驻点", "no office"),
    "header.no_officer": ("未登录", "not signed in"),
    "header.online": ("在线", "online"),
    "header.offline": ("离线", "offline"),
    "header.not_synced": ("未同步", "not synced"),
    "header.sync_badge": (
        "⇅ 待上传 {n} · 上次同步 {last} · {state}",
        "⇅ {n} waiting · last sync {last} · {state}",
    ),
    # help
    "help.title": ("快捷键", "Keys"),
    "help.rebind": (
        "可在 {file} 的 [bindings] 中按 ID 重新绑定",
        "Rebind any key by its id under [bindings] in {file}",
    ),
    "help.col_key": ("按键", "Key"),
    "help.col_action": ("功能", "Action"),
    "help.col_id": ("ID", "Id"),
    "help.col_where": ("范围", "Where"),
    "help.where_app": ("全局", "everywhere"),
    "help.where_screen": ("本页", "this screen"),
    "help.palette": ("命令面板：跳转页面、搜索项目和线索", "Command palette: screens, projects and leads"),
    # formatting
    "fmt.never": ("从未", "never"),
    "fmt.today": ("今天", "today"),
    "fmt.days_ago": ("{n}天前", "{n} d ago"),
    "fmt.overdue_days": ("逾期{n}天", "{n} d overdue"),
    "fmt.due_today": ("今日到期", "due today"),
    "fmt.loading": ("加载中…", "Loading…"),
    "fmt.rows": ("共 {total} 条，已显示 {shown} 条", "{shown} of {total} shown"),
    # forms
    "form.required": ("必填", "required"),
    "form.bad_date": (
        "「{text}」不是日期：请写成 2026-11-23，或 today / +7",
        "“{text}” is not a date: write 2026-11-23, or today / +7",
    ),
    "form.bad_int": ("「{text}」不是整数", "“{text}” is not a whole number"),
    "form.fix_errors": ("请先改正标红的字段", "Fix the fields marked in red first"),
    "form.unsaved_title": ("有未保存的修改", "Unsaved changes"),
    "form.unsaved_body": (
        "离开将丢弃已填写的内容。确定离开吗？",
        "Leaving throws away what you typed. Leave anyway?",
    ),
    "form.leave": ("放弃修改并离开", "Discard and leave"),
    "form.stay": ("继续编辑", "Keep editing"),
    "form.saved": ("已保存", "Saved"),
}

MESSAGES.update(
    {
        "confirm.yes": ("是", "Yes"),
        "confirm.no": ("否", "No"),
    }
)
