// Labels of the field app in Chinese (first) and English (by the toggle in the bar).

const LABELS = {
  app_title: ["界线联检", "Boundary inspection"],
  back: ["返回", "Back"],
  outbox: ["待发送", "Outbox"],
  online: ["在线", "online"],
  offline: ["离线", "offline"],
  sign_in: ["登录", "Sign in"],
  sign_out: ["退出登录", "Sign out"],
  username: ["用户名", "Username"],
  password: ["密码", "Password"],
  signin_again: ["登录已过期，请重新登录后继续发送（待发送记录都已保留）",
    "Your sign-in has expired: sign in again to send (the outbox is kept)"],
  signin_failed: ["用户名或密码错误", "Wrong username or password"],
  signin_offline: ["离线时无法登录，请在有信号时再试", "You are offline: sign in when there is signal"],
  campaigns: ["联检批次", "Campaigns"],
  no_campaigns: ["没有可用的联检批次", "No campaign available"],
  download: ["下载离线包", "Download for offline"],
  downloaded: ["已下载", "Downloaded"],
  open: ["打开", "Open"],
  downloading: ["正在下载", "Downloading"],
  download_done: ["离线包已下载，可在无信号时使用", "Downloaded: ready to work without signal"],
  download_failed: ["下载失败", "Download failed"],
  size: ["大小", "Size"],
  markers: ["界桩", "Markers"],
  map: ["地图", "Map"],
  segments: ["走向", "Segments"],
  position: ["当前位置", "My position"],
  no_position: ["尚未定位", "No position yet"],
  accuracy: ["精度", "accuracy"],
  st_todo: ["未检", "not yet"],
  st_done: ["已检", "done"],
  st_issue: ["有问题", "has issues"],
  last_condition: ["上次", "last"],
  marker_form: ["界桩检查", "Marker inspection"],
  segment_form: ["界线走向检查", "Segment check"],
  condition: ["界桩状况", "Condition"],
  damage_detail: ["损坏情况", "Damage detail"],
  observed_position: ["实测位置", "Observed position"],
  use_gps: ["使用 GPS 定位", "Use GPS"],
  place_by_hand: ["手工输入", "Place by hand"],
  lon: ["经度", "Longitude"],
  lat: ["纬度", "Latitude"],
  accuracy_m: ["水平精度（米）", "Horizontal accuracy (m)"],
  fix_type: ["定位方式", "Fix type"],
  fix_single: ["单点", "single"],
  fix_differential: ["差分", "differential"],
  fix_RTK: ["RTK", "RTK"],
  fix_manual: ["手工", "manual"],
  displacement: ["偏移", "Displacement"],
  threshold: ["限差", "threshold"],
  suspected_displaced: ["疑似移位", "suspected displaced"],
  within_threshold: ["在限差内", "within threshold"],
  reference_status: ["方位物", "Reference objects"],
  ref_ok: ["完好", "intact"],
  ref_changed: ["变化", "changed"],
  ref_missing: ["缺失", "missing"],
  actions: ["处理措施（每行一项）", "Actions (one a line)"],
  notes: ["备注", "Notes"],
  photos: ["照片", "Photos"],
  take_photo: ["拍照", "Take photo"],
  inspectors: ["检查人员", "Inspectors"],
  left_side: ["左侧", "Left side"],
  right_side: ["右侧", "Right side"],
  save_draft: ["保存草稿", "Save draft"],
  submit: ["提交", "Submit"],
  cancel: ["取消", "Cancel"],
  saved_queued: ["已保存到待发送，联网后自动发送", "Saved to the outbox: sent when online"],
  saved_draft: ["草稿已保存", "Draft saved"],
  from_marker: ["起点界桩", "From marker"],
  to_marker: ["终点界桩", "To marker"],
  segment_status: ["走向状况", "Course of the line"],
  seg_unchanged: ["走向未变", "unchanged"],
  seg_changed_recognisable: ["有变化但可辨认", "changed, recognisable"],
  seg_needs_resurvey: ["需重新勘测", "needs re-survey"],
  description: ["说明", "Description"],
  check_segment: ["检查此段", "Check this segment"],
  state_draft: ["草稿", "draft"],
  state_queued: ["排队中", "queued"],
  state_sending: ["发送中", "sending"],
  state_sent: ["已发送", "sent"],
  state_attention: ["需处理", "needs attention"],
  send_now: ["立即发送", "Send now"],
  sent_count: ["已发送", "Sent"],
  waiting: ["等待发送", "Waiting"],
  outbox_empty: ["没有待发送的记录", "Nothing waiting"],
  edit: ["修改", "Edit"],
  discard: ["删除草稿", "Discard draft"],
  discard_record: ["删除此记录", "Delete this record"],
  keep_mine: ["用我的版本", "Keep mine"],
  take_server: ["用服务器版本", "Take the server's"],
  local_version: ["本机版本", "On this phone"],
  server_version: ["服务器版本", "On the server"],
  field: ["字段", "Field"],
  conflict_changed: ["此记录在服务器上已被修改（如审核），请选择保留哪个版本",
    "This record was changed on the server (e.g. reviewed): choose which version to keep"],
  conflict_final: ["记录已审核完毕，不能再修改", "The record was reviewed and can no longer change"],
  review_state: ["审核状态", "Review"],
  review_received: ["已接收", "received"],
  review_has_issues: ["有问题", "has issues"],
  review_approved: ["已通过", "approved"],
  review_rejected: ["已退回", "rejected"],
  reviewer_comments: ["审核意见", "Reviewer comments"],
  my_records: ["我的记录", "My records"],
  refresh: ["从服务器更新（审核意见、队友记录）", "Update from the server (reviews, the team's records)"],
  next_try: ["下次重试", "next try"],
  photos_pending: ["张照片待上传", "photo(s) to upload"],
  install_hint: ["可添加到主屏幕使用", "Add to the home screen to use it as an app"],
};

let lang = localStorage.getItem("mzgis-field-lang") === "en" ? "en" : "zh";

/** The label ``key`` in the current language (the key itself when unknown). */
export function t(key) {
  const pair = LABELS[key];
  if (!pair) return key;
  return lang === "en" ? pair[1] : pair[0];
}

/** Both languages of a server message "English / 中文", or of a label pair. */
export function bilingual(message) {
  const text = String(message ?? "");
  const cut = text.lastIndexOf(" / ");
  if (cut < 0) return text;
  return lang === "en" ? text.slice(0, cut) : text.slice(cut + 3);
}

/** A message given as [zh, en]. */
export function pick(pair) {
  return lang === "en" ? pair[1] : pair[0];
}

export function currentLang() {
  return lang;
}

export function toggleLang() {
  lang = lang === "en" ? "zh" : "en";
  localStorage.setItem("mzgis-field-lang", lang);
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  return lang;
}

/** Fill every ``data-i18n`` element (text) and ``data-i18n-title`` (tooltip) of ``root``. */
export function applyLabels(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
}
