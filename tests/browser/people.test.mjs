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
import { start, signIn, shots } from "./harness.mjs";

let app;

before(async () => {
  app = await start();
});

after(async () => {
  await app?.stop();
});

async function noSidewaysScroll(page) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  assert.ok(overflow <= 1, `page scrolls sideways by ${overflow}px at phone width`);
}

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
  const incoming = other.page.locator("tbody tr", { hasText: "در انتظار پاسخ" });
  assert.equal(await incoming.count(), 1);
  await incoming.getByRole("button", { name: "پذیرش" }).click();
  await other.page.waitForURL(/\/referrals\?saved=moved$/);
  assert.ok((await other.page.locator("tbody tr", { hasText: "پذیرفته" }).count()) >= 1, "accepted");
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
