// Browser test: signs in through the real login form in headless Chromium (Debian's),
// opens the places browser and a province page, and checks what a person would see:
// right-to-left Persian layout, the SVG map with hover names and click-through, and a
// console free of errors. Keeps screenshots in ./screenshots.
//
// Needs HAMAFZA_BIN (the built binary); starts its own server with the demo data.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { start, signIn as signInAt, shots } from "./harness.mjs";

let app;
let base;

before(async () => {
  app = await start();
  base = app.base;
});

after(async () => {
  await app?.stop();
});

const newPage = () => app.newPage();
const signIn = (page, username, password) => signInAt(base, page, username, password);

test("sign in, browse places, open a province and its map", async () => {
  const { page, problems } = await newPage();

  // A wrong password is refused in Persian and keeps us on the login page.
  await signIn(page, "admin", "wrong-password");
  await assert.doesNotReject(page.getByText("نام کاربری یا گذرواژه نادرست است").waitFor());
  // The refusal is a 401, which Chromium logs as a failed load: expected here, so start counting afresh.
  problems.length = 0;

  await signIn(page, "admin", "hamafza-demo");
  await page.waitForURL(`${base}/`);
  assert.equal(await page.getAttribute("html", "dir"), "rtl");
  assert.equal(await page.getAttribute("html", "lang"), "fa");
  assert.equal(await page.evaluate(() => getComputedStyle(document.body).direction), "rtl");
  const home = await page.textContent("main");
  assert.match(home, /استان/);
  assert.match(home, /۳۱/, "31 provinces, in Persian digits");
  assert.equal(await page.evaluate(() => document.fonts.check("16px Vazirmatn")), true, "Vazirmatn loaded");

  // Places browser; search typed with the Arabic kaf finds Kerman.
  await page.getByRole("link", { name: "مکان‌ها" }).first().click();
  await page.getByLabel("جست‌وجوی نام").fill("كرمان");
  await page.getByRole("button", { name: "جست‌وجو" }).click();
  const results = page.getByRole("region", { name: "نتیجهٔ جست‌وجو" });
  await results.getByRole("link", { name: "کرمان", exact: true }).first().waitFor();
  await page.screenshot({ path: join(shots, "places-search.png"), fullPage: true });

  // Province page: Tehran, with its counties drawn as a map.
  await page.goto(`${base}/places`);
  await page.locator("ul.tree summary a", { hasText: /^تهران$/ }).click();
  await page.waitForURL(/\/places\/[0-9a-f-]+$/);
  assert.match(await page.textContent("h1"), /استان\s+تهران/);
  const paths = await page.locator("svg.place-map path.map-shape").count();
  assert.ok(paths >= 10, `expected Tehran's counties on the map, got ${paths}`);
  assert.match(await page.textContent("figure.map-box"), /OpenStreetMap/);

  // Hover names a county; a click goes to it.
  const shape = page.locator("svg.place-map path.map-shape").first();
  const name = await shape.getAttribute("data-name");
  await shape.hover({ force: true });
  await page.locator(".map-tip").waitFor({ state: "visible" });
  assert.equal(await page.textContent(".map-tip"), name);
  await page.screenshot({ path: join(shots, "province-tehran.png"), fullPage: true });
  await page.locator("svg.place-map a.map-link").first().click();
  await page.waitForURL(/\/places\/[0-9a-f-]+$/);
  assert.match(await page.textContent("h1"), new RegExp(name));

  assert.deepEqual(problems, [], "no console errors");
  await page.close();
});

test("the synthetic city is labelled as synthetic, and a phone-width page does not scroll sideways", async () => {
  const { page, problems } = await newPage();
  await page.setViewportSize({ width: 375, height: 800 });
  await signIn(page, "admin", "hamafza-demo");
  await page.goto(`${base}/places?q=${encodeURIComponent("شهر نمونه")}`);
  await page.getByRole("region", { name: "نتیجهٔ جست‌وجو" }).getByRole("link").first().click();
  await page.getByText("این مکان ساختگی است").waitFor();
  assert.ok((await page.locator("svg.place-map path.map-shape.synthetic").count()) >= 22);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `page scrolls sideways by ${overflow}px at phone width`);
  await page.screenshot({ path: join(shots, "synthetic-city-phone.png"), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test("a viewer of Kerman does not see Tehran", async () => {
  const { page, problems } = await newPage();
  await signIn(page, "kerman.viewer", "hamafza-demo");
  await page.goto(`${base}/places?q=${encodeURIComponent("تهران")}`);
  const region = page.getByRole("region", { name: "نتیجهٔ جست‌وجو" });
  await region.waitFor();
  assert.match(await region.textContent(), /پیدا نشد/);
  assert.equal(await page.getByRole("link", { name: "کاربران" }).count(), 0, "no users page for a viewer");
  assert.deepEqual(problems, []);
  await page.close();
});
