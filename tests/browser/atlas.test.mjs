// Browser test of the atlas: an analyst opens the atlas of the synthetic city and sees
// a choropleth map with a legend in Persian digits; hovering a district shows its name
// and value; clicking it drills down into that district. A field officer, without
// restricted access, sees small counts hidden.
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

const LATIN_DIGIT = /[0-9]/;

test("atlas: map, Persian legend, hover and drill-down", async () => {
  const { page, problems } = await app.newPage();
  await signIn(app.base, page, "analyst", "hamafza-demo");
  await page.waitForURL(`${app.base}/`);
  await page.getByRole("link", { name: "اطلس" }).click();
  await page.waitForURL(/\/atlas/);
  // The analyst's jurisdiction is the synthetic city: its 22 districts are drawn.
  await assert.doesNotReject(page.locator("h1", { hasText: "اطلس" }).waitFor());
  const shapes = page.locator(".atlas-map .map-shape");
  assert.equal(await shapes.count(), 22);
  // Filled by class from the stylesheet: several distinct shades appear.
  const fills = await shapes.evaluateAll((els) => els.map((e) => getComputedStyle(e).fill));
  assert.ok(new Set(fills).size >= 3, `distinct fills: ${[...new Set(fills)].join(", ")}`);

  // The legend's ranges are in Persian digits, never Latin ones.
  const legend = await page.locator(".legend").innerText();
  assert.match(legend, /[۰-۹]/);
  assert.doesNotMatch(legend, LATIN_DIGIT);
  // The definition is beside the map: numerator, denominator, period, source.
  const definition = await page.locator(".definition").innerText();
  for (const words of ["صورت", "مخرج", "دوره", "منبع"]) assert.ok(definition.includes(words), words);
  assert.ok(definition.includes("آنچه در هر مکان شمرده"), "the numerator explained in plain words");

  // Hover: the tip names the district and gives its value in Persian digits.
  const first = shapes.first();
  const name = (await first.getAttribute("data-name")).split(":")[0];
  await first.hover();
  const tip = page.locator(".map-tip");
  await assert.doesNotReject(tip.waitFor({ state: "visible" }));
  const tipText = await tip.innerText();
  assert.ok(tipText.startsWith(name), tipText);
  assert.match(tipText, /[۰-۹]/);
  await page.screenshot({ path: join(shots, "atlas-city.png"), fullPage: true });

  // Click: drill down into the district; its sub-districts are drawn.
  await first.click();
  await page.waitForURL(/place=/);
  assert.equal((await page.locator("h1").innerText()).trim(), `اطلس: ${name}`);
  assert.ok((await page.locator(".atlas-map .map-shape").count()) >= 1);
  // The trend chart of the district against its city and sibling districts.
  assert.ok((await page.locator(".trend polyline").count()) >= 2);
  await page.screenshot({ path: join(shots, "atlas-district.png"), fullPage: true });

  // Another indicator and natural breaks, through the form.
  await page.getByLabel("رده‌بندی").selectOption("jenks");
  await page.getByRole("button", { name: "نمایش" }).click();
  await page.waitForURL(/method=jenks/);
  assert.equal(problems.length, 0, problems.join("\n"));
  await page.close();
});

test("atlas: small counts are hidden from a field officer", async () => {
  const { page, problems } = await app.newPage();
  await signIn(app.base, page, "welfare.officer", "hamafza-demo");
  await page.waitForURL(`${app.base}/`);
  // One month of one category in the neighbourhoods of a sub-district: mostly small.
  await page.goto(`${app.base}/atlas?indicator=domestic_violence_rate`);
  const sub = page.locator(".atlas-map .map-shape").first();
  await sub.click();
  await page.waitForURL(/place=/);
  const url = new URL(page.url());
  // The month before the current one (the current month has barely begun).
  const months = (await page.locator("#periods option").evaluateAll((o) => o.map((x) => x.value))).filter((v) => v.includes("-"));
  url.searchParams.set("period", months[1]);
  await page.goto(url.toString());
  const hidden = page.locator(".atlas-table td", { hasText: "پنهان" });
  assert.ok((await hidden.count()) > 0, "some neighbourhoods are hidden");
  assert.ok((await page.locator(".map-shape.suppressed").count()) > 0);
  await page.screenshot({ path: join(shots, "atlas-suppressed.png"), fullPage: true });
  assert.equal(problems.length, 0, problems.join("\n"));
  await page.close();
});

test("priority index: method in Persian, ranking, explanation and dynamics", async () => {
  const { page, problems } = await app.newPage();
  await signIn(app.base, page, "analyst", "hamafza-demo");
  await page.waitForURL(`${app.base}/`);
  await page.goto(`${app.base}/atlas`);
  await page.getByRole("link", { name: "اولویت‌بندی محله‌ها" }).click();
  await page.waitForURL(/\/atlas\/priority/);
  // The method is written beside the result.
  const method = await page.locator(".method").innerText();
  assert.ok(method.includes("رتبهٔ صدکی") && method.includes("صدک ۹۰"), method);
  // All 22 districts ranked, 1 first; ranks in Persian digits.
  const rows = page.locator(".priority-table tbody tr");
  assert.equal(await rows.count(), 22);
  assert.equal((await rows.first().locator("td").first().innerText()).trim(), "۱");
  // Why is the first one first?
  const first = rows.first().locator("td a");
  const name = (await first.innerText()).trim();
  await first.click();
  await page.waitForURL(/explain=/);
  const why = await page.locator(".explain").innerText();
  assert.ok(why.includes(name) && why.includes("سهم در امتیاز"), why);
  // Status crossed with change since the year before.
  await page.getByLabel("مقایسه با دورهٔ").fill("1403");
  await page.getByRole("button", { name: "رتبه‌بندی" }).click();
  await page.waitForURL(/since=1403/);
  assert.equal(await page.locator(".crossing").count(), 1);
  assert.ok((await page.locator(".priority-table td", { hasText: /رو به (بهبود|وخامت)|پایدار/ }).count()) >= 22);
  await page.screenshot({ path: join(shots, "atlas-priority.png"), fullPage: true });
  assert.equal(problems.length, 0, problems.join("\n"));
  await page.close();
});

test("hot spots: Gi* map of H3 cells with confidence classes", async () => {
  const { page, problems } = await app.newPage();
  await signIn(app.base, page, "analyst", "hamafza-demo");
  await page.waitForURL(`${app.base}/`);
  await page.goto(`${app.base}/atlas`);
  await page.getByRole("link", { name: "کانون‌های داغ" }).click();
  await page.waitForURL(/\/atlas\/hotspots/);
  const cells = page.locator(".hotspot-map .map-shape");
  assert.ok((await cells.count()) > 1000, "the city's resolution-9 cells are drawn");
  assert.ok((await page.locator(".hotspot-map .spot-hot3").count()) > 0, "the demo's clusters show as hot spots");
  // The span is picked and shown in Persian, like every period box.
  assert.doesNotMatch(await page.getByRole("combobox", { name: /^از دورهٔ/ }).inputValue(), /[0-9]/);
  // Plain words first: what a hot spot is, before the statistic's name.
  assert.match(await page.locator("p.plain").innerText(), /کانون داغ.*بیش از انتظار کنار هم/);
  assert.ok((await page.locator("small.explain").count()) >= 2, "technical options explained");
  await page.getByLabel(/آزمون‌های تصادفی/).fill("999");
  await page.getByRole("button", { name: "محاسبه" }).click();
  await page.waitForURL(/permutations=999/);
  assert.ok((await page.locator("#hot-list tbody tr").count()) > 0);
  await page.screenshot({ path: join(shots, "atlas-hotspots.png"), fullPage: true });
  assert.equal(problems.length, 0, problems.join("\n"));
  await page.close();
});

test("home to the worst neighbourhoods of the city in one click, and why the first is first in a second", async () => {
  const { page, problems } = await app.newPage();
  await page.setViewportSize({ width: 375, height: 800 });
  await signIn(app.base, page, "analyst", "hamafza-demo");
  await page.waitForURL(`${app.base}/`);
  // Home says what needs attention today, and offers the city-wide ranking.
  await page.getByRole("heading", { name: /^امروز، / }).waitFor();
  assert.equal(await page.getByText("به‌زودی").count(), 0, "nothing that exists is 'coming soon'");
  await noSidewaysScroll(page);
  await page.screenshot({ path: join(shots, "home-analyst-phone.png"), fullPage: true });
  await page.getByRole("link", { name: /^رتبه‌بندی همهٔ محله‌های / }).click(); // click 1
  await page.waitForURL(/level=neighbourhood/);
  const rows = page.locator(".priority-table tbody tr");
  assert.ok((await rows.count()) >= 300, `every neighbourhood of the city, not its 22 districts: ${await rows.count()}`);
  assert.equal((await rows.first().locator("td").first().innerText()).trim(), "۱");
  const method = await page.locator(".method").innerText();
  assert.ok(method.includes("همهٔ محله‌های"), `the reference set is stated: ${method}`);
  await noSidewaysScroll(page);
  const first = rows.first().locator("td a");
  const name = (await first.innerText()).trim();
  await first.click(); // click 2
  await page.waitForURL(/explain=/);
  const why = await page.locator(".explain").innerText();
  assert.ok(why.includes(name) && why.includes("سهم در امتیاز"), why);
  await page.screenshot({ path: join(shots, "priority-city-neighbourhoods-phone.png"), fullPage: true });
  assert.equal(problems.length, 0, problems.join("\n"));
  await page.close();
});

test("periods are picked and typed in Persian; a refused one is said beside its box", async () => {
  const { page, problems } = await app.newPage();
  await page.setViewportSize({ width: 375, height: 800 });
  await signIn(app.base, page, "analyst", "hamafza-demo");
  await page.waitForURL(`${app.base}/`);
  await page.goto(`${app.base}/atlas`);
  const box = page.getByRole("combobox", { name: /^دوره/ });
  // The box shows the period in Persian words and offers recent ones by name.
  assert.doesNotMatch(await box.inputValue(), /[0-9Q]/);
  const offered = await page.locator("datalist#period-periods option").evaluateAll((os) => os.map((o) => o.value));
  assert.ok(offered.some((v) => v.startsWith("بهار ")) && offered.every((v) => !/[0-9]/.test(v)), offered.join(" | "));
  await box.fill("۱۴۰۴/۰۷");
  await page.getByRole("button", { name: "نمایش" }).click();
  await page.waitForURL(/period=/);
  assert.equal(await page.getByRole("combobox", { name: /^دوره/ }).inputValue(), "مهر ۱۴۰۴");
  assert.ok((await page.locator(".definition").innerText()).includes("مهر ۱۴۰۴"));
  // The running month (offered after eight seasons and two years): its trend marks it
  // «ناقص» instead of drawing its partial count as a drop.
  await page.getByRole("combobox", { name: /^دوره/ }).fill(offered[10]);
  await page.getByRole("button", { name: "نمایش" }).click();
  await page.waitForURL(/period=/);
  assert.equal(await page.locator(".trend .partial-band").count(), 1, `the running month ${offered[10]} is marked`);
  assert.match(await page.locator(".trend figcaption").innerText(), /دورهٔ ناقص/);
  // A month that does not exist: the same page, with its menu, the reason beside the box.
  await page.getByRole("combobox", { name: /^دوره/ }).fill("۱۴۰۵/۱۳");
  await page.getByRole("button", { name: "نمایش" }).click();
  await page.waitForURL(/period=/);
  await page.locator(".field-error").waitFor();
  assert.ok((await page.locator(".field-error").innerText()).includes("نمی‌شناسم"));
  assert.equal(await page.getByRole("link", { name: "خانه" }).count(), 1, "the page keeps its navigation");
  await noSidewaysScroll(page);
  await page.screenshot({ path: join(shots, "atlas-period-refused-phone.png"), fullPage: true });
  assert.equal(problems.length, 0, problems.join("\n"));
  await page.close();
});

test("place pages connect at 375 px: a neighbourhood's rank and why, the district's council and open resolutions", async () => {
  const { page, problems } = await app.newPage();
  await page.setViewportSize({ width: 375, height: 800 });
  await signIn(app.base, page, "d01.secretary", "hamafza-demo");
  await page.waitForURL(`${app.base}/`);
  const districts = await (await page.request.get(`${app.base}/api/v1/places?level=district&limit=100`)).json();
  const d01 = districts.items.find((p) => p.code === "SYN-HMF-D01");
  assert.ok(d01, "district 1 is the secretary's");
  await page.goto(`${app.base}/places/${d01.id}`);
  const h1 = (await page.locator("h1").innerText()).trim();
  assert.doesNotMatch(h1, /^منطقه\s+منطقه/, `the level word once: ${h1}`);
  assert.equal(await page.locator("p.flash.error").count(), 0, "the synthetic note is not an error");
  // The district leads to its own council and its open resolutions.
  await page.getByRole("heading", { name: "شوراها و مصوبات" }).waitFor();
  assert.ok((await page.locator("section.connect a[href^='/councils/']").count()) >= 1, "its council is linked");
  await noSidewaysScroll(page);
  await page.screenshot({ path: join(shots, "place-district-phone.png"), fullPage: true });
  // One of its neighbourhoods: its rank among its siblings, and why.
  const child = page.locator("table a[href^='/places/']").first();
  await child.click();
  await page.getByRole("heading", { name: "در اطلس" }).waitFor();
  const atlas = await page.locator("section.connect").first().innerText();
  assert.match(atlas, /رتبهٔ [۰-۹]+ از [۰-۹]+/, atlas);
  await page.getByRole("link", { name: "چرا این رتبه؟" }).click();
  await page.waitForURL(/explain=/);
  await page.locator(".explain").waitFor();
  assert.equal(problems.length, 0, problems.join("\n"));
  await page.close();
});
