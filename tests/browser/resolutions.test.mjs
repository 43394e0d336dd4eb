// Browser test of the follow-up flow: the district headquarters' secretary records a
// meeting and a resolution and assigns it; the welfare officer finds it in the inbox,
// reports progress with an evidence file and reports it done; the secretary verifies
// it; the council's dashboard numbers move accordingly. Uses the demo data.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { start, signIn, shots, noSidewaysScroll } from "./harness.mjs";

let app;

before(async () => {
  app = await start();
});

after(async () => {
  await app?.stop();
});

const PASSWORD = "hamafza-demo";

/** A figure card's number (Persian digits) on a dashboard. */
async function figure(page, name) {
  const text = await page.textContent(`[data-figure="${name}"] .n`);
  const ascii = text.replace(/[۰-۹]/g, (d) => String("۰۱۲۳۴۵۶۷۸۹".indexOf(d))).replace(/[^0-9]/g, "");
  return Number(ascii);
}

test("secretary records, officer reports with evidence, secretary verifies; the dashboard follows", async () => {
  const base = app.base;
  const { page: sec, problems } = await app.newPage();
  await signIn(base, sec, "d01.secretary", PASSWORD);
  await sec.waitForURL(`${base}/`);

  await sec.goto(`${base}/councils/syn-d01-hq`);
  assert.match(await sec.textContent("h1"), /قرارگاه اجتماعی منطقهٔ ۱/);
  assert.equal(await sec.locator("svg.chart").count(), 1, "the state chart is drawn on the server");
  const before = {
    total: await figure(sec, "total"),
    reported: await figure(sec, "reported_done"),
    verified: await figure(sec, "verified"),
  };
  assert.ok(before.total > 0 && before.reported > 0, "the demo has resolutions awaiting verification");

  // A meeting: overdue, stalled and awaiting-verification resolutions join its agenda.
  await sec.getByLabel("محل", { exact: true }).fill("سالن شورای منطقه");
  await sec.getByLabel("دستور جلسه (هر بند در یک سطر)").fill("گزارش دبیر از گشت‌های مشترک");
  await sec.getByRole("button", { name: "ثبت جلسه" }).click();
  await sec.waitForURL(/\/meetings\//);
  const agenda = await sec.textContent("ol.agenda");
  assert.match(agenda, /گزارش دبیر از گشت‌های مشترک/);
  assert.match(agenda, /در انتظار تأیید/, "awaiting verification went onto the agenda by itself");
  assert.ok((await sec.locator("ol.agenda .badge").count()) >= before.reported);

  // Attendance and minutes.
  await sec.locator('fieldset:has-text("ادارهٔ کل بهزیستی استان تهران") input[value="represented"]').check();
  await sec.locator('fieldset:has-text("ادارهٔ کل بهزیستی استان تهران") input[name^="representative:"]').fill("معاون توانبخشی");
  await sec.getByLabel("صورت‌جلسه").fill("مقرر شد بهزیستی گزارش اسکان متکدیان را ارائه کند.");
  await sec.getByRole("button", { name: "ذخیرهٔ صورت‌جلسه" }).click();
  await sec.waitForURL(/\/meetings\//);
  assert.equal(await sec.inputValue('fieldset:has-text("ادارهٔ کل بهزیستی استان تهران") input[name^="representative:"]'), "معاون توانبخشی");

  // A resolution decided in this meeting, led by welfare.
  await sec.getByLabel("متن مصوبه").fill("اسکان موقت متکدیان شناسایی‌شده در گرمخانهٔ منطقه");
  await sec.getByLabel("دستگاه مسئول").selectOption("teh-welfare");
  await sec.getByLabel("بند دستور جلسه").selectOption("1");
  await sec.getByLabel("مهلت").fill("۱۴۰۶/۰۱/۱۵");
  await sec.getByLabel("موضوع").fill("تکدی‌گری");
  await sec.getByRole("button", { name: "ثبت پیش‌نویس" }).click();
  await sec.waitForURL(/\/resolutions\//);
  const resolutionUrl = sec.url();
  assert.match(await sec.textContent("h1"), /پیش‌نویس/);
  assert.match(await sec.textContent("dl.facts"), /بند ۱: گزارش دبیر از گشت‌های مشترک/, "decided under its agenda item");
  await sec.getByRole("button", { name: "ابلاغ به دستگاه مسئول" }).click();
  await sec.waitForURL((u) => u.href.split("?")[0] === resolutionUrl);
  assert.match(await sec.textContent("h1"), /ابلاغ/);
  assert.match(await sec.textContent("main"), /انجام شد: «ابلاغ به دستگاه مسئول»/, "the save says what happened");
  const number = (await sec.textContent("h1")).match(/[۰-۹]{4}\/[۰-۹]+/)[0];

  // The welfare officer finds it in the inbox and reports, with a photo as evidence.
  const { page: officer, problems: officerProblems } = await app.newPage();
  await signIn(base, officer, "welfare.officer", PASSWORD);
  await officer.waitForURL(`${base}/`);
  await officer.goto(`${base}/inbox`);
  assert.match(await officer.textContent("main"), new RegExp(`${number}.*به دستگاه شما واگذار شد`));
  await officer.getByRole("link", { name: new RegExp(`${number}.*واگذار شد`) }).first().click();
  await officer.waitForURL((u) => u.href.split("?")[0] === resolutionUrl);
  await officer.getByLabel("درصد پیشرفت").fill("۱۰۰");
  await officer.getByLabel("شرح").fill("۲۴ نفر در گرمخانه اسکان یافتند؛ فهرست پیوست است.");
  await officer.getByLabel(/پیوست شاهد/).setInputFiles({
    name: "فهرست-اسکان.txt",
    mimeType: "text/plain",
    buffer: Buffer.from("فهرست ساختگی اسکان — آزمون مرورگر"),
  });
  await officer.getByRole("button", { name: "ثبت گزارش" }).click();
  await officer.waitForURL((u) => u.href.split("?")[0] === resolutionUrl);
  assert.match(await officer.textContent("main"), /فهرست-اسکان\.txt/);
  assert.match(await officer.textContent("main"), /SHA-256/);
  assert.match(await officer.textContent("main"), /گزارش پیشرفت ثبت شد/);
  // A 100 % update: the page offers to report it done.
  assert.match(await officer.textContent("main"), /پیشرفت ۱۰۰٪ گزارش شده است/);
  // Ending it without a result is set apart, not beside the everyday moves.
  assert.equal(await officer.locator(".actions > form button.danger").count(), 0);
  await officer.getByRole("button", { name: "اعلام انجام" }).click();
  await officer.waitForURL((u) => u.href.split("?")[0] === resolutionUrl);
  assert.match(await officer.textContent("h1"), /اعلام انجام/);
  assert.equal(await officer.getByRole("button", { name: "تأیید انجام" }).count(), 0, "the doer cannot verify");
  await officer.screenshot({ path: join(shots, "resolution-reported.png"), fullPage: true });
  // The inbox agrees with itself: the "assigned to you" notice is done now, listed apart.
  await officer.goto(`${base}/inbox`);
  const toAct = await officer.locator("h3:has-text('نیازمند اقدام') + ul.notices").innerText().catch(() => "");
  assert.doesNotMatch(toAct, new RegExp(`${number}.*واگذار شد`), "a notice whose work is done is not work");
  assert.match(await officer.locator("details.notices-done").textContent(), new RegExp(`${number}.*واگذار شد`));

  // Reported done is counted apart from verified on the dashboard.
  await sec.goto(`${base}/councils/syn-d01-hq`);
  assert.equal(await figure(sec, "total"), before.total + 1);
  assert.equal(await figure(sec, "reported_done"), before.reported + 1);
  assert.equal(await figure(sec, "verified"), before.verified);

  // The secretary sees it waiting in the inbox and verifies it.
  await sec.goto(`${base}/inbox`);
  assert.match(await sec.textContent("main"), /در انتظار تأیید شما/);
  await sec.goto(resolutionUrl);
  await sec.getByRole("button", { name: "تأیید انجام" }).click();
  await sec.waitForURL((u) => u.href.split("?")[0] === resolutionUrl);
  assert.match(await sec.textContent("h1"), /تأیید/);
  assert.match(await sec.textContent("ol.history"), /اعلام انجام \(در انتظار تأیید\) ← تأییدشده/);

  await sec.goto(`${base}/councils/syn-d01-hq`);
  assert.equal(await figure(sec, "reported_done"), before.reported);
  assert.equal(await figure(sec, "verified"), before.verified + 1);
  await sec.screenshot({ path: join(shots, "council-dashboard.png"), fullPage: true });

  // The periodic PDF report and the XLSX export download from the dashboard.
  const [pdf] = await Promise.all([
    sec.waitForEvent("download"),
    sec.getByRole("button", { name: "دریافت گزارش" }).click(),
  ]);
  assert.match(pdf.suggestedFilename(), /^resolutions-syn-d01-hq-\d{4}Q\d\.pdf$/);
  const [xlsx] = await Promise.all([
    sec.waitForEvent("download"),
    sec.getByRole("link", { name: "خروجی اکسل" }).click(),
  ]);
  assert.equal(xlsx.suggestedFilename(), "resolutions.xlsx");
  assert.deepEqual(problems, []);
  assert.deepEqual(officerProblems, []);
});

test("the audit log speaks Persian at 375 px: actions, records by name, details as a list", async () => {
  const base = app.base;
  const { page, problems } = await app.newPage();
  await page.setViewportSize({ width: 375, height: 800 });
  await signIn(base, page, "admin", PASSWORD);
  await page.waitForURL(`${base}/`);
  await page.goto(`${base}/audit?action=resolution.`);
  await page.getByRole("heading", { name: "دفتر رویدادها" }).waitFor();
  const text = await page.locator("main").innerText();
  assert.match(text, /تغییر وضعیت مصوبه|ثبت مصوبه/);
  assert.doesNotMatch(text, /resolution\.(transition|create|escalate)/, "no raw action codes");
  assert.doesNotMatch(text, /\{"/, "no raw JSON");
  assert.match(text, /[۰-۹]{4}\/[۰-۹]{2}\/[۰-۹]{2}/, "Jalali times");
  assert.ok((await page.locator("ul.summary").count()) > 0, "details as lists");
  await noSidewaysScroll(page);
  await page.screenshot({ path: join(shots, "audit-phone.png"), fullPage: true });
  assert.equal(problems.length, 0, problems.join("\n"));
  await page.close();
});
