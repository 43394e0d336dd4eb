// Browser test: signs in through the real login form in headless Chromium (Debian's),
// opens the places browser and a province page, and checks what a person would see:
// right-to-left Persian layout, the SVG map with hover names and click-through, and a
// console free of errors. Keeps screenshots in ./screenshots.
//
// Needs HAMAFZA_BIN (the built binary); starts its own server with the demo data.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import net from "node:net";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const shots = join(here, "screenshots");
mkdirSync(shots, { recursive: true });

let server;
let base;
let browser;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitReady(url, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server not ready at ${url}`);
}

before(async () => {
  const bin = process.env.HAMAFZA_BIN;
  assert.ok(bin, "set HAMAFZA_BIN to the hamafza binary");
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), "hamafza-browser-"));
  server = spawn(bin, ["--data-dir", dataDir, "serve", "--demo", "--listen", `127.0.0.1:${port}`], { stdio: "inherit" });
  await waitReady(`${base}/healthz`, 60_000);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
});

async function newPage() {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, locale: "fa-IR" });
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(String(e)));
  return { page, problems };
}

async function signIn(page, username, password) {
  await page.goto(`${base}/login`);
  await page.getByLabel("نام کاربری").fill(username);
  await page.getByLabel("گذرواژه").fill(password);
  await page.getByRole("button", { name: "ورود" }).click();
}

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
