// Runs axe-core (WCAG 2.1 A/AA and best practice) on each HTML file given, in headless Chromium.
// Prints {file: [violations]} as JSON. Needs puppeteer-core and axe-core on NODE_PATH (make test-browser).
const puppeteer = require("puppeteer-core");
const fs = require("fs");

const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];

(async () => {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
  const results = {};
  for (const file of process.argv.slice(2)) {
    const page = await browser.newPage();
    await page.goto("file://" + file, { waitUntil: "load" });
    await page.evaluate(axeSource);
    const report = await page.evaluate(
      async (tags) => await axe.run(document, { runOnly: { type: "tag", values: tags } }), TAGS);
    results[file] = report.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
    await page.close();
  }
  await browser.close();
  console.log(JSON.stringify(results, null, 1));
})().catch((error) => { console.error(String(error)); process.exit(2); });
