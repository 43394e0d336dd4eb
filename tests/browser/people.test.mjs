// Browser test of the registry (issue 12): a district officer registers a person met
// in the street on a phone-width screen (asked first why they look at names), the
// saved record says so, and refers them to welfare; welfare's officer accepts the
// referral and reads the record (the person consented to sharing); the system
// administrator's access report lists both reads.
//
// Needs HAMAFZA_BIN (the built binary); starts its own server with the demo data.

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

/** Answers the "why do you look" page with a purpose from the list. */
async function givePurpose(page, label) {
  await page.getByText("چرا این اطلاعات را می‌بینید؟").waitFor();
  await page.getByLabel(label).check();
  await page.getByRole("button", { name: "ادامه" }).click();
}

test("registry: street registration at 375 px, a read by another agency, the access report", async () => {
  // The municipality's officer of district 2, on a phone.
  const { page, problems } = await app.newPage();
  await page.setViewportSize({ width: 375, height: 800 });
  await signIn(app.base, page, "d02.officer", "hamafza-demo");
  await page.waitForURL(`${app.base}/`);
  await page.getByRole("link", { name: "افراد" }).click();
  await givePurpose(page, "ارائهٔ خدمت");
  await page.getByRole("heading", { name: "افراد" }).waitFor();
  await noSidewaysScroll(page);
  await page.getByRole("link", { name: "ثبت فرد یا دیدار تازه" }).click();
  await page.getByRole("heading", { name: "ثبت در نخستین دیدار" }).waitFor();
  await noSidewaysScroll(page);
  await page.screenshot({ path: join(shots, "people-register-phone.png"), fullPage: true });

  await page.getByLabel("رضایت برای خدمت و اشتراک با دستگاه‌های دیگر").check();
  await page.getByLabel("تکدی‌گری").check();
  const place = page.getByLabel("محل دیدار");
  const firstPlace = await place.locator("option").nth(1).getAttribute("value");
  await place.selectOption(firstPlace);
  await page.getByLabel("مرد", { exact: true }).check();
  await page.getByLabel("نام", { exact: true }).fill("بهرام");
  await page.getByLabel("نام خانوادگی", { exact: true }).fill("آزمونی");
  await page.locator("input[name=birth]").fill("۳۴");
  await page.getByRole("button", { name: "ثبت", exact: true }).click();

  await page.waitForURL(/\/people\/[0-9a-f-]+\?saved=1$/);
  const saved = page.getByRole("status");
  assert.match(await saved.innerText(), /ثبت شد/);
  assert.match(await page.textContent("h1"), /بهرام آزمونی/);
  // What was said is shown as said: "about 34".
  assert.match(await page.locator("dl.facts").innerText(), /حدود ۳۴ سال/);
  await noSidewaysScroll(page);
  await page.screenshot({ path: join(shots, "people-saved-phone.png"), fullPage: true });
  const personUrl = page.url().replace(/\?saved=1$/, "");
  const personId = personUrl.split("/").pop();

  // The officer refers the person to welfare from the person's page.
  await page.locator("select[name=to]").selectOption({ label: "ادارهٔ کل بهزیستی استان تهران" });
  await page.getByRole("button", { name: "ارجاع", exact: true }).click();
  await page.waitForURL(/\/referrals\?saved=sent$/);
  assert.match(await page.getByRole("status").innerText(), /ارجاع فرستاده شد/);
  await noSidewaysScroll(page);
  assert.deepEqual(problems, [], "no console errors");
  await page.close();

  // Welfare's officer in the same district accepts the referral from the inbox, then
  // reads the record (consent to share).
  const other = await app.newPage();
  await signIn(app.base, other.page, "welfare.officer", "hamafza-demo");
  await other.page.waitForURL(`${app.base}/`);
  await other.page.goto(`${app.base}/referrals`);
  // The demo's referrals wait there too: this person's row is the one to answer.
  const incoming = other.page
    .locator("tbody tr", { hasText: "در انتظار پاسخ" })
    .filter({ has: other.page.locator(`a[href="/people/${personId}"]`) });
  assert.equal(await incoming.count(), 1);
  await incoming.getByRole("button", { name: "پذیرش" }).click();
  await other.page.waitForURL(/\/referrals\?saved=moved$/);
  assert.equal(
    await other.page
      .locator("tbody tr", { hasText: "پذیرفته" })
      .filter({ has: other.page.locator(`a[href="/people/${personId}"]`) })
      .count(),
    1,
    "accepted",
  );
  await other.page.goto(personUrl);
  await givePurpose(other.page, "پیگیری پرونده");
  await other.page.waitForURL(personUrl);
  assert.match(await other.page.textContent("h1"), /بهرام آزمونی/);
  assert.deepEqual(other.problems, []);
  await other.page.close();

  // The system administrator's access report lists both reads, with their purposes.
  const admin = await app.newPage();
  await signIn(app.base, admin.page, "admin", "hamafza-demo");
  await admin.page.waitForURL(`${app.base}/`);
  await admin.page.goto(`${app.base}/people/${personId}/access-report`);
  await givePurpose(admin.page, "نظارت و کنترل کیفیت");
  await admin.page.getByRole("heading", { name: "گزارش دسترسی" }).waitFor();
  const rows = await admin.page.locator("tbody tr").allInnerTexts();
  const reads = rows.filter((r) => r.includes("دیدن پرونده"));
  assert.ok(reads.some((r) => r.includes("کارشناس اجتماعی شهرداری منطقهٔ ۲") && r.includes("ارائهٔ خدمت")), rows.join("\n"));
  assert.ok(reads.some((r) => r.includes("کارشناس بهزیستی منطقهٔ ۲") && r.includes("پیگیری پرونده")), rows.join("\n"));
  await admin.page.screenshot({ path: join(shots, "people-access-report.png"), fullPage: true });
  assert.deepEqual(admin.problems, []);
  await admin.page.close();
});

test("registry at 375 px: met again, the case load and a case, the children's view, the monthly flow", async () => {
  // District 1's officer, on a phone, meets someone on record again.
  const { page, problems } = await app.newPage();
  await page.setViewportSize({ width: 375, height: 800 });
  await signIn(app.base, page, "d01.officer", "hamafza-demo");
  await page.waitForURL(`${app.base}/`);
  await page.goto(`${app.base}/people`);
  await givePurpose(page, "ارائهٔ خدمت");
  await page.getByRole("heading", { name: "افراد" }).waitFor();
  // The first person the officer may read (a named row).
  const named = page.locator("tbody tr td:first-child a").filter({ hasNotText: "پنهان" }).first();
  await named.click();
  await page.waitForURL(/\/people\/[0-9a-f-]+$/);
  await givePurpose(page, "ارائهٔ خدمت");
  await page.getByRole("button", { name: "ثبت دیدار" }).waitFor();
  const before = await page.locator("ol.timeline li").count();
  const form = page.locator("form", { has: page.getByRole("button", { name: "ثبت دیدار" }) });
  await form.getByLabel("محل دیدار").selectOption({ index: 1 });
  await form.getByLabel("یادداشت").fill("دوباره کنار پارک دیده شد");
  await page.getByRole("button", { name: "ثبت دیدار" }).click();
  await page.waitForURL(/\?saved=encounter$/);
  assert.match(await page.getByRole("status").innerText(), /دیدار تازه ثبت شد/);
  assert.equal(await page.locator("ol.timeline li").count(), before + 1, "the timeline grew by one");
  assert.match(await page.locator("ol.timeline").innerText(), /دوباره کنار پارک دیده شد/);
  await noSidewaysScroll(page);
  await page.screenshot({ path: join(shots, "people-met-again-phone.png"), fullPage: true });
  // The father's name, remembered now, is added to the record.
  await page.getByRole("link", { name: "اصلاح پرونده" }).click();
  await page.getByRole("heading", { name: "اصلاح پروندهٔ فرد" }).waitFor();
  await noSidewaysScroll(page);
  await page.locator("details", { hasText: "نام پدر" }).locator("summary").click();
  await page.getByLabel("نام پدر", { exact: true }).fill("کریم");
  await page.getByRole("button", { name: "ذخیرهٔ اصلاح" }).click();
  await page.waitForURL(/\?saved=(edited|unchanged)$/);
  assert.match(await page.getByRole("status").innerText(), /اصلاح‌ها ذخیره شد|چیزی تغییر نکرده بود/);
  assert.match(await page.locator("dl.facts").innerText(), /کریم/);

  // The agency's case load, then one case: a service is recorded.
  await page.goto(`${app.base}/cases`);
  await givePurpose(page, "پیگیری پرونده");
  await page.getByRole("heading", { name: "پرونده‌های دستگاه شما" }).waitFor();
  assert.ok((await page.locator("tbody tr").count()) >= 1, "the demo's open cases");
  await noSidewaysScroll(page);
  await page.locator("tbody tr td:first-child a").first().click();
  await givePurpose(page, "پیگیری پرونده");
  await page.waitForURL(/\/cases\/[0-9a-f-]+$/);
  await page.getByLabel("خدمت", { exact: true }).fill("بستهٔ غذایی");
  await page.getByRole("button", { name: "ثبت خدمت" }).click();
  await page.waitForURL(/\?saved=work$/);
  assert.match(await page.locator("ol.timeline").innerText(), /بستهٔ غذایی/);
  await noSidewaysScroll(page);
  await page.screenshot({ path: join(shots, "people-case-phone.png"), fullPage: true });

  // The monthly flow of the officer's district.
  await page.goto(`${app.base}/people/flow`);
  await page.getByRole("heading", { name: /ورود و خروج ماهانه/ }).waitFor();
  assert.ok((await page.locator("tbody tr").count()) >= 1, "months with people");
  await noSidewaysScroll(page);
  // Not child protection: the children's view is refused.
  const refused = await page.goto(`${app.base}/people?children=1`);
  assert.equal(refused.status(), 403);
  assert.deepEqual(problems.filter((p) => !p.includes("403")), [], "no console errors");
  await page.close();

  // Child protection sees the children, named, with their guardian on the record.
  const cp = await app.newPage();
  await cp.page.setViewportSize({ width: 375, height: 800 });
  await signIn(app.base, cp.page, "child.protection", "hamafza-demo");
  await cp.page.waitForURL(`${app.base}/`);
  await cp.page.goto(`${app.base}/people?children=1`);
  await givePurpose(cp.page, "ارائهٔ خدمت");
  await cp.page.getByRole("heading", { name: /کودکان/ }).waitFor();
  const children = cp.page.locator("tbody tr td:first-child a");
  assert.ok((await children.count()) >= 1, "the demo's children");
  assert.doesNotMatch(await children.first().innerText(), /پنهان/);
  await noSidewaysScroll(cp.page);
  await children.first().click();
  await givePurpose(cp.page, "ارائهٔ خدمت");
  await cp.page.getByText("سرپرست", { exact: true }).waitFor();
  await noSidewaysScroll(cp.page);
  await cp.page.screenshot({ path: join(shots, "people-child-phone.png"), fullPage: true });
  assert.deepEqual(cp.problems, []);
  await cp.page.close();

  // The access report at phone width.
  const admin = await app.newPage();
  await admin.page.setViewportSize({ width: 375, height: 800 });
  await signIn(app.base, admin.page, "admin", "hamafza-demo");
  await admin.page.waitForURL(`${app.base}/`);
  await admin.page.goto(`${app.base}/people?purpose=x`);
  await givePurpose(admin.page, "نظارت و کنترل کیفیت");
  const someone = await admin.page.locator("tbody tr td:first-child a").first().getAttribute("href");
  await admin.page.goto(`${app.base}${someone}/access-report`);
  await givePurpose(admin.page, "نظارت و کنترل کیفیت");
  await admin.page.getByRole("heading", { name: "گزارش دسترسی" }).waitFor();
  await noSidewaysScroll(admin.page);
  assert.deepEqual(admin.problems, []);
  await admin.page.close();
});

test("linkage at 375 px: the queue, a pair side by side, a decision, the linked records and the undo", async () => {
  const { page, problems } = await app.newPage();
  await page.setViewportSize({ width: 375, height: 800 });
  await signIn(app.base, page, "registry.supervisor", "hamafza-demo");
  await page.waitForURL(`${app.base}/`);
  await page.goto(`${app.base}/people/matches`);
  await page.getByRole("heading", { name: "سوابق تکراری: بررسی ناظر" }).waitFor();
  await page.getByText("آخرین بررسی").waitFor();
  await noSidewaysScroll(page);
  await page.screenshot({ path: join(shots, "linkage-queue-phone.png"), fullPage: true });
  const pairs = page.locator("tbody tr td:first-child a");
  assert.ok((await pairs.count()) >= 10, "the demo's planted duplicates are queued");
  await pairs.first().click();
  await page.getByRole("heading", { name: "آیا این دو سابقه یک نفرند؟" }).waitFor();
  await noSidewaysScroll(page);
  await page.screenshot({ path: join(shots, "linkage-pair-phone.png"), fullPage: true });
  await page.getByLabel("یک نفرند — پیوند بزن").check();
  await page.getByLabel("دلیل (ثبت می‌شود)").fill("نام پدر و سال تولد یکی است");
  await page.getByRole("button", { name: "ثبت تصمیم" }).click();
  await page.getByText("ثبت شد: این دو سابقه یک نفرند").waitFor();
  await noSidewaysScroll(page);

  // The first record now lists the other; the supervisor undoes the link.
  await page.getByRole("link", { name: "سابقهٔ نخست" }).click();
  await givePurpose(page, "نظارت و کنترل کیفیت");
  await page.getByRole("heading", { name: "سوابق همین فرد در دستگاه‌های دیگر" }).waitFor();
  await noSidewaysScroll(page);
  await page.getByLabel("دلیل برداشتن").fill("به اشتباه پیوند خورد");
  await page.getByRole("button", { name: "برداشتن پیوند" }).click();
  await page.getByText("پیوند برداشته شد").waitFor();
  assert.equal(await page.getByRole("heading", { name: "سوابق همین فرد در دستگاه‌های دیگر" }).count(), 0);

  await page.goto(`${app.base}/people/matches/model`);
  await page.getByRole("heading", { name: "وزن‌های پیوند سوابق" }).waitFor();
  await noSidewaysScroll(page);
  assert.deepEqual(problems, []);
  await page.close();
});

test("biometrics at 375 px: a pair found by faces, the matcher's state, the holder deletes a template", async () => {
  const { page, problems } = await app.newPage();
  await page.setViewportSize({ width: 375, height: 800 });
  await signIn(app.base, page, "registry.supervisor", "hamafza-demo");
  await page.waitForURL(`${app.base}/`);
  await page.goto(`${app.base}/people/matches`);
  // The supervisor sees which matcher runs (the stand-in says it is one) and its jobs.
  await page.getByRole("heading", { name: "تطبیق زیست‌سنجی" }).waitFor();
  await page.getByText("الگوریتم زیست‌سنجی واقعی نیست").waitFor();
  const byFaces = page.locator("tbody tr").filter({ has: page.locator('td[data-label="یافته با"]', { hasText: /^زیست‌سنجی$/ }) });
  assert.ok((await byFaces.count()) >= 1, "the demo's renamed people are found by their faces only");
  await byFaces.first().locator("td:first-child a").click();
  await page.getByText("امتیاز سامانهٔ تطبیق").waitFor();
  await page.getByText("تصویری نگه داشته نمی‌شود").waitFor();
  await noSidewaysScroll(page);
  await page.screenshot({ path: join(shots, "biometric-pair-phone.png"), fullPage: true });
  const records = [
    await page.getByRole("link", { name: "سابقهٔ نخست" }).getAttribute("href"),
    await page.getByRole("link", { name: "سابقهٔ دوم" }).getAttribute("href"),
  ];

  // Welfare holds one of the two records: its officer sees the template and deletes it.
  const welfare = await app.newPage();
  await welfare.page.setViewportSize({ width: 375, height: 800 });
  await signIn(app.base, welfare.page, "welfare.officer", "hamafza-demo");
  await welfare.page.waitForURL(`${app.base}/`);
  let deleted = false;
  for (const href of records) {
    await welfare.page.goto(`${app.base}${href}`);
    await givePurpose(welfare.page, "بررسی ثبت تکراری");
    await welfare.page.getByRole("heading", { name: "زیست‌سنجی" }).waitFor();
    await noSidewaysScroll(welfare.page);
    const remove = welfare.page.getByRole("button", { name: "حذف الگو" });
    if ((await remove.count()) === 0) continue;
    await welfare.page.getByLabel("دلیل حذف").fill("درخواست خود فرد");
    await remove.click();
    await welfare.page.getByText("الگوی زیست‌سنجی حذف شد").waitFor();
    await welfare.page.getByText("حذف شده").waitFor();
    await noSidewaysScroll(welfare.page);
    await welfare.page.screenshot({ path: join(shots, "biometric-deleted-phone.png"), fullPage: true });
    deleted = true;
    break;
  }
  assert.ok(deleted, "welfare may delete the template of the record it holds");
  assert.deepEqual(welfare.problems, []);
  await welfare.page.close();
  assert.deepEqual(problems, []);
  await page.close();
});
