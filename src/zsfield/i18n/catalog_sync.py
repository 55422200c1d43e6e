"""Sync messages: login, progress, summary, and why a sync stopped (中文, English)."""

MESSAGES: dict[str, tuple[str, str]] = {
    # --- why a sync could not start or stopped
    "sync.bad_url": ("服务器地址无效:{url}", "Not a valid server address: {url}"),
    "sync.insecure_http": (
        "拒绝用明文 http:// 连接非本机服务器 {url}:令牌会以明文传输。请改用 https://,"
        "或在配置中设置 allow_insecure_http = true / 使用 --allow-insecure-http。",
        "Refusing plain http:// to {url}, which is not this machine: the token would travel in clear. Use "
        "https://, or set allow_insecure_http = true in the config / pass --allow-insecure-http.",
    ),
    "sync.tls_failed": (
        "无法验证服务器 {server} 的证书,该连接未建立,经由它未发送任何内容:{error}。"
        "如本区使用自己的证书颁发机构,请向管理员索取其证书并用 SSL_CERT_FILE 指向它;不要关闭证书验证。",
        "Could not verify the certificate of {server}, so that connection was not made and nothing was sent "
        "over it: {error}. If the zone uses its own certificate authority, ask the admin for its certificate "
        "and point SSL_CERT_FILE at it; never turn verification off.",
    ),
    "sync.not_logged_in": (
        "尚未登录同步服务器:先运行 zsfield login --server 地址。",
        "Not logged in to a sync server: run `zsfield login --server URL` first.",
    ),
    "sync.no_token": (
        "没有 {server} 的令牌:运行 zsfield login --server {server}。",
        "No token for {server}: run `zsfield login --server {server}`.",
    ),
    "sync.empty_token": ("令牌为空。", "The token is empty."),
    "sync.cancelled": (
        "同步已取消;未发送的修改都保留在待上传队列中。",
        "Sync cancelled; unsent changes stay in the outbox.",
    ),
    "sync.unavailable": (
        "无法连接服务器 {server}(已尝试 {attempts} 次:{error})。修改都保留在本机,稍后再同步。",
        "Could not reach {server} ({attempts} attempts: {error}). Your changes are kept; sync again later.",
    ),
    "sync.storage_full": (
        "服务器 {server} 的磁盘已满,本次未保存任何修改。修改都保留在本机;请管理员清理服务器空间后再同步。",
        "The disk of {server} is full, so it saved nothing. Your changes are kept; sync again once the admin "
        "has freed space on the server.",
    ),
    "sync.bad_reply": (
        "服务器 {server} 的回复无法识别({error})。修改都保留在本机。",
        "The reply of {server} could not be understood ({error}). Your changes are kept.",
    ),
    "sync.unauthorized": (
        "服务器不接受此令牌:{message} 请向管理员索取新令牌后重新登录。修改都保留在本机。",
        "The server does not accept this token: {message} Ask your admin for a new one and log in again. "
        "Your changes are kept.",
    ),
    "sync.revoked": (
        "令牌已被吊销,同步已停止:{message}",
        "The token was revoked; sync stopped: {message}",
    ),
    "sync.forbidden": ("服务器拒绝:{message}", "Refused by the server: {message}"),
    "sync.schema": ("版本不兼容,同步已停止:{message}", "Versions do not match; sync stopped: {message}"),
    "sync.client_too_old": (
        "服务器使用同步格式 {server},本机 zsfield 为 {mine}:请先升级 zsfield。修改都保留在本机。",
        "The server speaks sync schema {server} and this zsfield {mine}: update zsfield first. "
        "Your changes are kept.",
    ),
    "sync.server_too_old": (
        "服务器的同步格式 {server} 旧于本机 zsfield 的 {mine}:请管理员升级服务器。修改都保留在本机。",
        "The server's sync schema {server} is older than this zsfield's {mine}: ask your admin to update "
        "the server. Your changes are kept.",
    ),
    "sync.sequence": (
        "同步序号不一致,已停止:{message} 修改都保留在本机;运行 zsfield sync --repair"
        "(核对序号后只补发服务器没有的修改),仍不行请联系管理员。",
        "Sequence numbers do not match; sync stopped: {message} Your changes are kept; run "
        "`zsfield sync --repair` (it checks the numbers and sends only what the server does not hold), and "
        "contact your admin if that does not help.",
    ),
    "sync.busy": (
        "此数据库的另一次同步正在进行(本应用、另一个终端或 zsfield sync):等它结束后再同步。"
        "本次未发送任何内容,修改都保留在本机。",
        "A sync of this database is already running (in the app, another terminal or `zsfield sync`): "
        "sync again when it has finished. Nothing was sent by this one; your changes are kept.",
    ),
    "sync.not_a_server": (
        "{server} 不是 zsfield 同步服务器(404)。",
        "{server} is not a zsfield sync server (404).",
    ),
    "sync.refused": (
        "服务器拒绝了请求(HTTP {status}):{message}",
        "The server refused the request (HTTP {status}): {message}",
    ),
    # --- progress
    "sync.connecting": ("正在连接 {server} …", "Connecting to {server} …"),
    "sync.pushing": ("上传 {n} 项修改", "Sending {n} changes"),
    "sync.pushed": ("已上传 {n}/{total}", "Sent {n}/{total}"),
    "sync.pulling": ("下载更新", "Receiving updates"),
    "sync.pulled": ("已下载 {n}", "Received {n}"),
    "sync.done": ("同步完成", "Sync complete"),
    "sync.phase.connect": ("连接", "connect"),
    "sync.phase.push": ("上传", "send"),
    "sync.phase.pull": ("下载", "receive"),
    "sync.phase.done": ("完成", "done"),
    # --- summary
    "sync.summary": (
        "上传 {pushed} 项(冲突 {conflicts},被拒 {rejections}),下载 {pulled} 项,用时 {seconds} 秒。",
        "Sent {pushed} (conflicts {conflicts}, rejected {rejections}), received {pulled}, in {seconds} s.",
    ),
    "sync.summary_stopped": (
        "同步中途停止:此前已上传 {pushed} 项(冲突 {conflicts},被拒 {rejections}),下载 {pulled} 项,"
        "用时 {seconds} 秒。",
        "The sync stopped after sending {pushed} (conflicts {conflicts}, rejected {rejections}) and "
        "receiving {pulled}, in {seconds} s.",
    ),
    "sync.resent": (
        "服务器已从备份恢复:已重新上传 {n} 项服务器丢失的已确认修改。",
        "The server was restored from a backup: {n} acknowledged changes it had lost were sent again.",
    ),
    "sync.realigned": (
        "已按服务器核对同步序号:{n} 项修改以新的序号发送,服务器已有的修改没有重复发送。",
        "Sequence numbers checked against the server's: {n} changes went under new numbers; none the server "
        "already held was sent twice.",
    ),
    "sync.summary_attention": (
        "有 {conflicts} 个冲突待决定、{rejections} 项被拒:在同步页面查看(或 zsfield conflicts)。",
        "{conflicts} conflicts to decide and {rejections} rejected changes: see the sync screen "
        "(or `zsfield conflicts`).",
    ),
    "sync.epoch_reset": (
        "服务器已从备份恢复:已重新下载全部数据,本机待上传的修改全部保留。",
        "The server was restored from a backup: everything was received again; your unsent changes were kept.",
    ),
    "sync.outbox_left": ("仍有 {n} 项修改待上传。", "{n} changes are still waiting to be sent."),
    "sync.moved_away": (
        "{n} 条记录已移交其他团队,已从本机移除。",
        "{n} records moved to another team and were removed from this laptop.",
    ),
    "sync.moved_changes": (
        "有 {n} 项未上传的修改涉及已移交其他团队的项目:它们保留在待上传队列中,上传后交给新负责团队"
        "(见同步页面的“待上传”)。",
        "{n} changes not yet sent concern a project that moved to another team: they stay in the outbox and "
        "go to its new owners when sent (see the Outbox tab of the sync screen).",
    ),
    "sync.moved_tag": ("已移交其他团队", "moved to another team"),
    # --- login / logout
    "sync.token_prompt": ("令牌(输入不显示):", "Token (not shown): "),
    "sync.login_ok": (
        "已登录 {server}:{name}({role}{team})。",
        "Logged in to {server} as {name} ({role}{team}).",
    ),
    "sync.token_keyring": (
        "令牌已保存在系统钥匙串({detail})。",
        "The token is kept in the OS keyring ({detail}).",
    ),
    "sync.token_file": (
        "没有可用的系统钥匙串:{detail}。",
        "No usable OS keyring: {detail}.",
    ),
    "sync.login_reset": (
        "此数据库此前连接的是另一个服务器或另一位专员:将重新下载全部数据,待上传的修改保留。",
        "This database synced with another server or officer before: everything will be received again; "
        "unsent changes are kept.",
    ),
    "sync.logout_ok": ("已删除 {server} 的令牌({where})。", "Removed the token of {server} ({where})."),
    "sync.logout_none": ("没有找到 {server} 的令牌。", "No token found for {server}."),
    "sync.logout_no_server": ("尚未登录任何服务器。", "Not logged in to any server."),
    # --- conflicts at the command line
    "sync.no_conflicts": ("没有待决定的冲突。", "No conflicts to decide."),
    "sync.no_rejections": ("没有被拒的修改。", "No rejected changes."),
    "sync.conflict_line": (
        "{id}  {entity}.{field}  本机={mine}  服务器={theirs}",
        "{id}  {entity}.{field}  mine={mine}  theirs={theirs}",
    ),
    "sync.rejection_line": (
        "{id}  {entity} {op}  {code}:{message}",
        "{id}  {entity} {op}  {code}: {message}",
    ),
    "sync.resolved": ("已决定:{choice}(下次同步时上传)。", "Decided: {choice} (sent at the next sync)."),
    # --- the sync screen (F5)
    "sync.tui_heading": ("同步", "Sync"),
    "sync.tui_start": ("立即同步 (s)", "Sync now (s)"),
    "sync.tui_summary": (
        "{server} · {officer} · 上次同步 {last} · 待上传 {pending} · 冲突 {conflicts} · 被拒 {rejections}",
        "{server} · {officer} · last sync {last} · to send {pending} · conflicts {conflicts} · rejected {rejections}",
    ),
    "sync.tui_no_server": ("未登录服务器", "not logged in"),
    "sync.tui_never": ("从未", "never"),
    "sync.tui_no_result": ("还没有同步过。", "No sync yet."),
    "sync.tui_already": ("同步正在进行。", "A sync is already running."),
    "sync.tui_stopped": ("同步已停止", "Sync stopped"),
    "sync.tui_pick_conflict": ("先在“冲突”页选中一个冲突。", "Pick a conflict on the Conflicts tab first."),
    "sync.tui_edit_whole": (
        "删除与修改的冲突只能选“保留我的”或“采用服务器的”。",
        "A conflict between an edit and a delete is decided by keep mine or take theirs.",
    ),
    "sync.tui_whole_record": ("整条记录", "whole record"),
    "sync.tui_mine": ("我的", "Mine"),
    "sync.tui_theirs": ("服务器的", "Theirs"),
    "sync.tui_edit_title": ("编辑 {field} 的取值", "Edit the value of {field}"),
    "sync.tui_bad_value": ("无法作为该字段的值:{value}", "Not a value this field can hold: {value}"),
    "sync.tui_cancel": ("取消", "Cancel"),
    "sync.tui_save": ("保存", "Save"),
    "sync.tab_conflicts": ("冲突", "Conflicts"),
    "sync.tab_rejections": ("被拒", "Rejected"),
    "sync.tab_outbox": ("待上传", "Outbox"),
    "sync.tab_result": ("上次结果", "Last result"),
    "sync.col_record": ("记录", "Record"),
    "sync.col_field": ("字段", "Field"),
    "sync.col_when": ("时间", "When"),
    "sync.col_op": ("操作", "Change"),
    "sync.col_code": ("原因代码", "Code"),
    "sync.col_why": ("说明", "Why"),
    "sync.col_fields": ("字段", "Fields"),
    "sync.key_start": ("同步", "Sync"),
    "sync.key_cancel": ("取消同步", "Cancel sync"),
    "sync.key_mine": ("保留我的", "Keep mine"),
    "sync.key_theirs": ("采用服务器的", "Take theirs"),
    "sync.key_edit": ("编辑取值", "Edit value"),
    "sync.key_dismiss": ("知道了", "Dismiss"),
    "sync.key_open": ("打开记录", "Open record"),
    "sync.key_save": ("保存", "Save"),
    "sync.key_close": ("关闭", "Close"),
    "sync.choice.mine": ("保留我的", "keep mine"),
    "sync.choice.theirs": ("采用服务器的", "take theirs"),
    "sync.choice.edited": ("编辑后的取值", "edited value"),
    "sync.op.insert": ("新建", "create"),
    "sync.op.update": ("修改", "edit"),
    "sync.op.delete": ("删除", "delete"),
    "sync.op.resolve": ("冲突决定", "decision"),
    "sync.op.void": ("过大未发送", "too large"),
    "sync.op.pull": ("从服务器收到", "received"),
    "sync.advice.forbidden": (
        "这条记录属于其他团队,或只有督查/管理员可改。请联系该团队或督查处理;本机的修改未上传。",
        "The record belongs to another team, or only a supervisor or admin may change it. Ask that team or a "
        "supervisor; your change was not sent.",
    ),
    "sync.advice.invalid": (
        "服务器认为取值无效。请在记录中改正后再同步。",
        "The server found a value invalid. Correct it in the record and sync again.",
    ),
    "sync.advice.not_found": (
        "服务器上没有这条记录(可能它的创建被拒了)。请查看相关的被拒项。",
        "The record is not on the server (its creation was probably rejected). See the related rejections.",
    ),
    "sync.advice.unknown_parent": (
        "所属的项目或线索不在服务器上。先处理该项目/线索的被拒项。",
        "Its project or lead is not on the server. Deal with that project's or lead's rejection first.",
    ),
    "sync.advice.unknown_entity": (
        "服务器不认识这种记录:请管理员升级服务器。",
        "The server does not know this kind of record: ask your admin to update the server.",
    ),
    "sync.advice.too_large": (
        "这项修改太大,无法上传(例如很长的文本)。请缩短后重新录入。",
        "This change is too large to send (a very long text, say). Shorten it and enter it again.",
    ),
    "sync.advice.bad_base": (
        "这项修改所依据的版本服务器从未发出过(本机数据可能来自别的服务器或已损坏)。服务器未采用它;"
        "同步后查看记录的当前内容,需要时重新修改。",
        "This change was based on a version the server never handed out (this laptop's data may come from "
        "another server, or be damaged). The server did not apply it; sync, look at the record as it is now "
        "and make the change again if it is still needed.",
    ),
    "sync.advice.unreadable": (
        "服务器发来的这条记录有本机无法读取的取值,未保存到本机;其余记录已正常同步。请联系管理员修正服务器上的这条记录。",
        "The server sent this record with a value this laptop cannot read; it was not stored here, and the rest "
        "of the sync went on. Ask your admin to correct the record on the server.",
    ),
    "sync.advice.other": ("请联系管理员。", "Contact your admin."),
    "sync.entity.office": ("驻点", "Office"),
    "sync.entity.team": ("团队", "Team"),
    "sync.entity.officer": ("人员", "Officer"),
    "sync.entity.company": ("企业", "Company"),
    "sync.entity.contact": ("联系人", "Contact"),
    "sync.entity.lead": ("线索", "Lead"),
    "sync.entity.project": ("项目", "Project"),
    "sync.entity.stage_event": ("阶段变更", "Stage change"),
    "sync.entity.service_plan": ("服务方案", "Service plan"),
    "sync.entity.service_item": ("服务事项", "Service item"),
    "sync.entity.visit": ("拜访", "Visit"),
    "sync.entity.follow_up": ("跟进", "Follow-up"),
    "sync.entity.milestone": ("履约节点", "Milestone"),
    "sync.entity.capital_receipt": ("到位外资", "Capital receipt"),
    "sync.entity.target": ("任务", "Target"),
    "sync.entity.note": ("备注", "Note"),
}
