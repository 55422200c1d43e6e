"""Core messages: vocabularies, field names, flow refusals (中文, English)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "app.name": ("zsfield", "zsfield"),
    # --- Stage
    "enum.Stage.screening": ("研判", "Screening"),
    "enum.Stage.negotiating": ("洽谈", "Negotiating"),
    "enum.Stage.intent_signed": ("意向签约", "Intent signed"),
    "enum.Stage.contract_signed": ("正式签约", "Contract signed"),
    "enum.Stage.registered": ("注册登记", "Registered"),
    "enum.Stage.land_approved": ("土地报批", "Land approved"),
    "enum.Stage.permits": ("证件办理", "Permits"),
    "enum.Stage.construction": ("开工建设", "Under construction"),
    "enum.Stage.commissioning": ("设备调试", "Commissioning"),
    "enum.Stage.production": ("竣工投产", "In production"),
    "enum.Stage.effective": ("投产达效", "Targets reached"),
    # --- ProjectStatus
    "enum.ProjectStatus.active": ("正常推进", "Active"),
    "enum.ProjectStatus.delayed": ("延期", "Delayed"),
    "enum.ProjectStatus.dormant": ("停滞", "Dormant"),
    "enum.ProjectStatus.lost": ("流失", "Lost"),
    "enum.ProjectStatus.abandoned": ("终止", "Abandoned"),
    # --- SourceChannel
    "enum.SourceChannel.stationed": ("驻点招商", "Stationed office"),
    "enum.SourceChannel.investor_referral": ("以商招商", "Investor referral"),
    "enum.SourceChannel.agent": ("委托招商", "Agent"),
    "enum.SourceChannel.adviser": ("顾问招商", "Adviser"),
    "enum.SourceChannel.chamber": ("商会协会", "Chamber / association"),
    "enum.SourceChannel.fair": ("展会推介", "Fair / promotion"),
    "enum.SourceChannel.online": ("网络招商", "Online"),
    "enum.SourceChannel.fund": ("基金招商", "Fund-led"),
    "enum.SourceChannel.supply_chain": ("产业链招商", "Supply-chain targeting"),
    "enum.SourceChannel.leadership": ("领导招商", "Leadership visit"),
    "enum.SourceChannel.other": ("其他", "Other"),
    # --- LeadStatus
    "enum.LeadStatus.new": ("待研判", "Awaiting screening"),
    "enum.LeadStatus.screened": ("已研判", "Screened"),
    "enum.LeadStatus.converted": ("已转项目", "Converted"),
    "enum.LeadStatus.rejected": ("已否决", "Rejected"),
    "enum.LeadStatus.duplicate": ("重复", "Duplicate"),
    # --- Verdict
    "enum.Verdict.real": ("真实", "Real"),
    "enum.Verdict.doubtful": ("存疑", "Doubtful"),
    "enum.Verdict.rejected": ("否决", "Rejected"),
    # --- Role / Grade / TeamKind
    "enum.Role.officer": ("招商专员", "Investment officer"),
    "enum.Role.leader": ("包保领导", "Project leader"),
    "enum.Role.supervisor": ("招商局督查", "Supervisor"),
    "enum.Role.admin": ("管理员", "Administrator"),
    "enum.Grade.senior": ("高级", "Senior"),
    "enum.Grade.grade1": ("一级", "Grade 1"),
    "enum.Grade.grade2": ("二级", "Grade 2"),
    "enum.TeamKind.project_dept": ("项目部", "Project department"),
    "enum.TeamKind.task_force": ("招商攻坚队", "Task force"),
    "enum.TeamKind.stationed": ("驻点招商组", "Stationed team"),
    # --- VisitKind
    "enum.VisitKind.visit": ("外出拜访", "Visit"),
    "enum.VisitKind.reception": ("来访接待", "Reception"),
    "enum.VisitKind.inspection": ("实地考察", "Site inspection"),
    "enum.VisitKind.meeting": ("洽谈会议", "Negotiation meeting"),
    "enum.VisitKind.call": ("电话", "Call"),
    "enum.VisitKind.video": ("视频会议", "Video call"),
    "enum.VisitKind.event": ("推介活动", "Promotion event"),
    # --- ServiceKind / ServiceState
    "enum.ServiceKind.land": ("土地", "Land"),
    "enum.ServiceKind.planning": ("规划", "Planning"),
    "enum.ServiceKind.environmental": ("环评", "Environmental review"),
    "enum.ServiceKind.energy": ("能评", "Energy review"),
    "enum.ServiceKind.permit": ("证照", "Permits"),
    "enum.ServiceKind.utilities": ("水电气", "Utilities"),
    "enum.ServiceKind.talent_housing": ("人才公寓", "Talent housing"),
    "enum.ServiceKind.financing": ("融资", "Financing"),
    "enum.ServiceKind.incentive": ("政策兑现", "Incentive payout"),
    "enum.ServiceKind.hiring": ("招工", "Hiring"),
    "enum.ServiceKind.customs": ("海关保税", "Customs / bonded"),
    "enum.ServiceKind.other": ("其他", "Other"),
    "enum.ServiceState.open": ("待办", "Open"),
    "enum.ServiceState.in_progress": ("办理中", "In progress"),
    "enum.ServiceState.done": ("已办结", "Done"),
    "enum.ServiceState.blocked": ("受阻", "Blocked"),
    # --- PermitType
    "enum.PermitType.filing": ("项目备案", "Project filing"),
    "enum.PermitType.eia": ("环评批复", "EIA approval"),
    "enum.PermitType.energy": ("能评批复", "Energy approval"),
    "enum.PermitType.land_use_planning": ("建设用地规划许可证", "Land-use planning permit"),
    "enum.PermitType.land_title": ("不动产权证", "Land title"),
    "enum.PermitType.works_planning": ("建设工程规划许可证", "Works planning permit"),
    "enum.PermitType.construction": ("施工许可证", "Construction permit"),
    "enum.PermitType.fire": ("消防审查", "Fire review"),
    "enum.PermitType.discharge": ("排污许可证", "Discharge permit"),
    # --- MilestoneKind
    "enum.MilestoneKind.registration": ("注册", "Registration"),
    "enum.MilestoneKind.land_delivery": ("供地", "Land delivery"),
    "enum.MilestoneKind.construction_start": ("开工", "Construction start"),
    "enum.MilestoneKind.completion": ("竣工", "Completion"),
    "enum.MilestoneKind.production_start": ("投产", "Production start"),
    "enum.MilestoneKind.output_reached": ("达产达效", "Output reached"),
    # --- NoteKind / EventKind / TargetOwnerKind
    "enum.NoteKind.note": ("备注", "Note"),
    "enum.NoteKind.supervision": ("督办意见", "Supervision note"),
    "enum.NoteKind.reason_request": ("请说明原因", "Reason requested"),
    "enum.NoteKind.stale_reason": ("久未跟进原因", "Reason for no follow-up"),
    "enum.EventKind.stage": ("阶段变更", "Stage change"),
    "enum.EventKind.status": ("状态变更", "Status change"),
    "enum.TargetOwnerKind.leader": ("领导", "Leader"),
    "enum.TargetOwnerKind.department": ("部门", "Department"),
    "enum.TargetOwnerKind.team": ("团队", "Team"),
    # --- project fields (named in refusals and forms)
    "field.project.company_id": ("投资方（企业）", "company"),
    "field.project.source_channel": ("来源渠道", "source channel"),
    "field.project.owner_team_id": ("责任团队", "owner team"),
    "field.project.leader_id": ("包保领导", "leader"),
    "field.project.service_officer_id": ("服务专员", "service officer"),
    "field.project.intent_signed_on": ("意向签约日期", "intent signing date"),
    "field.project.planned_investment": ("计划总投资", "planned total investment"),
    "field.project.contract_signed_on": ("正式签约日期", "contract date"),
    "field.project.total_investment": ("总投资", "total investment"),
    "field.project.registered_entity": ("注册主体名称", "registered entity name"),
    "field.project.credit_code": ("统一社会信用代码", "unified social credit code"),
    "field.project.land_area_mu": ("用地面积（亩）", "land area (mu)"),
    "field.project.construction_start_on": ("开工日期", "construction start date"),
    "field.project.production_start_on": ("投产日期", "production start date"),
    "field.project.actual_output": ("实际年产值", "actual annual output"),
    "field.project.actual_tax": ("实际年税收", "actual annual tax"),
    "field.project.actual_jobs": ("实际就业人数", "actual jobs"),
    # --- flow refusals
    "flow.cannot_enter": ("不能进入「{stage}」", "Cannot enter “{stage}”"),
    "flow.missing_field": ("缺少{field}", "{field} is missing"),
    "flow.missing_milestone": ("缺少承诺的{milestone}日期", "the promised {milestone} date is missing"),
    "flow.bad_credit_code": (
        "统一社会信用代码 {code} 校验不通过",
        "unified social credit code {code} fails its check digit",
    ),
    "flow.missing_land": (
        "需填写用地面积（亩）或勾选「不新增用地」",
        "enter the land area (mu) or tick “no new land”",
    ),
    "flow.missing_permits": ("服务方案中还没有证件清单", "the service plan has no permit list yet"),
    "flow.same_stage": ("项目已处于「{stage}」", "the project is already at “{stage}”"),
    "flow.closed_status": (
        "项目状态为「{status}」，请先恢复为正常推进",
        "the project is “{status}”: reactivate it first",
    ),
    "flow.back_needs_reason": ("退回「{stage}」需要说明原因", "moving back to “{stage}” needs a reason"),
    "flow.same_status": ("项目状态已是「{status}」", "the status is already “{status}”"),
    "flow.status_needs_reason": ("改为「{status}」需要说明原因", "“{status}” needs a reason"),
    "flow.status_needs_date": ("改为「{status}」需要填写日期", "“{status}” needs a date"),
}

MESSAGES.update(
    {
        "action.negative_amount": ("金额不能为负数", "an amount cannot be negative"),
        "action.unknown_company": ("所选企业不存在", "the chosen company does not exist"),
        "action.lead_needs_title": ("请填写线索名称或企业名称", "give the lead a title or a company name"),
        "action.lead_converted": ("该线索已转为项目", "this lead has already become a project"),
        "action.verdict_needs_reason": ("研判结论需要说明理由", "a screening verdict needs its reason"),
        "action.duplicate_of_self": ("线索不能与自身重复", "a lead cannot duplicate itself"),
        "action.convert_needs_real": (
            "只有研判为「真实」的线索才能转为项目",
            "only a lead screened as real can become a project",
        ),
        "action.needs_owner_team": ("请指定责任团队", "name the owner team"),
        "action.needs_leader": ("请指定包保领导", "name the leader"),
        "action.needs_service_officer": ("请指定服务专员", "name the service officer"),
        "action.not_editable": ("字段 {field} 不能在此修改", "field {field} cannot be edited here"),
        "action.project_needs_name": ("项目名称不能为空", "the project needs a name"),
        "action.cannot_set_status": ("不能改为「{status}」", "Cannot set the status to “{status}”"),
        "action.visit_needs_subject": ("请选择所属项目或线索", "choose the project or lead it belongs to"),
        "action.visit_needs_summary": ("请填写纪要或下一步", "write a summary or the next step"),
        "action.visit_in_future": ("拜访日期不能晚于今天", "a visit cannot be dated after today"),
        "action.follow_up_needs_title": ("请填写跟进事项", "say what the follow-up is"),
        "action.follow_up_done": ("该跟进已完成", "this follow-up is already done"),
        "action.follow_up_needs_outcome": (
            "完成跟进需要填写结果",
            "completing a follow-up needs its outcome",
        ),
        "action.note_needs_body": ("内容不能为空", "the note is empty"),
        "action.service_item_needs_title": ("请填写服务事项", "say what the service item is"),
        "action.receipt_amount_positive": ("到位金额必须大于零", "the amount received must be above zero"),
        "action.rate_positive": ("汇率必须大于零", "the exchange rate must be above zero"),
    }
)

# --- the local database, the config file, backups (CLI and TUI errors; exit codes in store/errors.py)
MESSAGES.update(
    {
        "store.missing": (
            "没有找到数据库 {path}。请检查路径（--db / ZSFIELD_DB），或用 `zsfield seed --db {path}`"
            "（演示数据）或打开应用来新建。",
            "There is no database at {path}. Check the path (--db / ZSFIELD_DB), or create one with "
            "`zsfield seed --db {path}` (demo data) or by opening the app.",
        ),
        "store.cannot_open": (
            "无法打开数据库 {path}：请检查所在文件夹存在且可写。",
            "Cannot open the database {path}: check that the folder exists and is writable.",
        ),
        "store.too_new": (
            "数据库 {path} 由更新版本的 zsfield 写入（结构版本 {revision}），文件未作任何改动。"
            "请先升级 zsfield（pipx upgrade zsfield）再打开。",
            "The database {path} was written by a newer version of zsfield (schema {revision}). "
            "Update zsfield (pipx upgrade zsfield) to open it; it was left untouched.",
        ),
        "store.locked": (
            "数据库 {path} 正被其他程序占用（另一个 zsfield、同步或备份）。请关闭后重试。",
            "The database {path} is locked by another program (another zsfield, a sync, a backup). "
            "Close it and try again.",
        ),
        "store.corrupt": (
            "数据库 {path} 已损坏或不是 zsfield 数据库，文件未作任何改动。请用备份恢复"
            "（zsfield restore），或将其移走后重新同步以下载本组数据。",
            "The database {path} is damaged or is not a zsfield database. It was left untouched. "
            "Restore it from a backup (zsfield restore), or move it away and sync again to re-download "
            "your team's data.",
        ),
        "store.not_sqlite": (
            "{path} 不是 SQLite 数据库（文件头不对），文件未作任何改动。请用备份恢复，或用 --db 指向正确的文件。",
            "{path} is not a SQLite database (its header is wrong). It was left untouched. "
            "Restore it from a backup or point --db at the right file.",
        ),
        "store.truncated": (
            "数据库 {path} 不完整（只有 {size} 字节，应至少 {expected} 字节：复制中断或磁盘已满），"
            "文件未作任何改动。请用备份恢复（zsfield restore）。",
            "The database {path} is truncated ({size} bytes where at least {expected} are expected: a copy "
            "cut short or a full disk). It was left untouched. Restore it from a backup (zsfield restore).",
        ),
        "store.integrity": (
            "数据库 {path} 未通过完整性检查（{problem}），文件未作任何改动。请用备份恢复"
            "（zsfield restore），或将其移走后重新同步。",
            "The database {path} failed its integrity check ({problem}). It was left untouched. "
            "Restore it from a backup (zsfield restore) or move it away and sync again.",
        ),
        "store.disk_full": (
            "存放 {path} 的磁盘已满：刚才的修改没有保存（数据库保持原样）。请腾出空间后重试。",
            "The disk holding {path} is full: the last change was not saved (the database is as it was). "
            "Free some space and retry.",
        ),
        "seed.not_empty": (
            "数据库 {path} 已有 {count} 个项目，演示数据会与之混在一起。请换一个新文件（--db），"
            "或加 --force 仍然写入。",
            "The database {path} already has {count} projects: demo data would mix with them. "
            "Seed into a new file (--db), or add --force to add the demo data anyway.",
        ),
        "match.none": ("没有找到相近的企业。", "No similar company found."),
        # --- config.toml
        "config.bad_toml": (
            "{path} 第 {line} 行第 {column} 列：不是有效的 TOML（{detail}）。请修正或移走该文件；未作任何改动。",
            "{path}, line {line}, column {column}: not valid TOML ({detail}). Fix the file or move it away; "
            "nothing was changed.",
        ),
        "config.unreadable": (
            "无法读取 {path}（{detail}）。请以 UTF-8 保存或移走该文件；未作任何改动。",
            "Cannot read {path} ({detail}). Save it as UTF-8 or move it away; nothing was changed.",
        ),
        "config.unknown_key": (
            "{path}：未知设置项「{key}」{hint}。未作任何改动。",
            "{path}: unknown setting '{key}'{hint}. Nothing was changed.",
        ),
        "config.did_you_mean": ("（是否想写「{close}」？）", " (did you mean '{close}'?)"),
        "config.bad_value": (
            "{path}：「{key}」= {value} 无法使用（应为{expected}）。未作任何改动。",
            "{path}: '{key}' = {value} cannot be used (expected {expected}). Nothing was changed.",
        ),
        "config.bad_language": (
            '{path}：language 只能是 "zh" 或 "en"，不能是 {value}。',
            '{path}: language must be "zh" or "en", not {value}.',
        ),
        "config.expect.text": ("文本", "text"),
        "config.expect.bool": ("true 或 false", "true or false"),
        "config.expect.days": ("大于零的整数（天）", "a whole number of days above zero"),
        "config.expect.page_size": ("10 到 5000 之间的整数", "a whole number from 10 to 5000"),
        "config.expect.bindings": ('按键表，如 sync = "f9"', 'a table of keys, e.g. sync = "f9"'),
        "config.expect.file": ("文件名", "a file name"),
        # --- backup and restore of the officer's own database
        "backup.done": (
            "已备份 {db} → {out}（{size} 字节，完整性检查通过）",
            "backed up {db} → {out} ({size} bytes, integrity ok)",
        ),
        "backup.exists": (
            "{path} 已存在：请换一个文件名（未写入任何内容）。",
            "{path} already exists: choose a new file name (nothing was written).",
        ),
        "backup.failed_check": (
            "备份 {path} 未通过完整性检查（{problem}），已删除；原数据库未改动。",
            "the backup {path} failed its integrity check ({problem}) and was removed; the database is unchanged.",
        ),
        "restore.target_exists": (
            "{target} 已存在：恢复会替换它。确认要替换请加 --force（原文件会保留为 {aside}）。",
            "{target} already exists: a restore replaces it. Add --force to go ahead (the current file is "
            "kept as {aside}).",
        ),
        "restore.same_file": (
            "备份文件就是当前数据库 {path}。",
            "The backup is the database itself ({path}).",
        ),
        "restore.busy": (
            "{path} 正在同步：同步结束后再恢复（数据库未改动）。",
            "{path} is being synced: restore it when the sync has finished (the database is unchanged).",
        ),
        "restore.done": (
            "已从 {source} 恢复到 {target}{aside}。下次同步会重新下载全部数据，并与服务器核对后只上传服务器"
            "还没有的修改（备份之后已上传的不会重复）。",
            "restored {source} → {target}{aside}. The next sync downloads everything again and, checked against "
            "the server, sends only the changes it does not hold yet (none sent after the backup goes twice).",
        ),
        "restore.kept_aside": ("（原文件保留为 {aside}）", " (the previous file is kept as {aside})"),
    }
)
