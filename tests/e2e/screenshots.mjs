// Takes the README's screenshots (docs/images/) from a running demo: `npm start` in one
// terminal, then `node tests/e2e/screenshots.mjs`. Not part of `npm test`.
//   DEMO_URL (http://localhost:8080)  CANVAS_URL (http://127.0.0.1:3000)
//   COURSE_URL (http://127.0.0.1:8080/course.html: the "Canvas course page" iframing the demo)
import { mkdir } from "node:fs/promises";
import { launch } from "./browser.mjs";

const BASE = process.env.DEMO_URL || "http://localhost:8080";
const CANVAS = process.env.CANVAS_URL || "http://127.0.0.1:3000";
const COURSE = process.env.COURSE_URL || "http://127.0.0.1:8080/course.html";
const out = new URL("../../docs/images/", import.meta.url);
await mkdir(out, { recursive: true });
const shot = (page, name, options = {}) => page.screenshot({ path: new URL(name, out).pathname, ...options });

const browser = await launch();
try {
  const desktop = { viewport: { width: 960, height: 900 }, deviceScaleFactor: 1 };
  const logIn = async (page) => {
    await page.fill('input[name="pseudonym_session[unique_id]"]', "student@example.edu");
    await page.fill('input[name="pseudonym_session[password]"]', "password");
    await page.click('#login_form button[type="submit"]');
    await page.waitForURL((url) => url.href.startsWith(`${CANVAS}/login/oauth2/confirm`));
  };

  // Signed in, after the course list; the consent page on the way.
  const context = await browser.newContext(desktop);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(`${BASE}/`);
  await page.waitForSelector("html[data-ready]");
  await page.click("#sign-in");
  await logIn(page);
  await shot(page, "demo-consent.png");
  await page.click("#oauth2_accept_form button.primary");
  await page.waitForURL((url) => url.href === `${BASE}/`);
  await page.waitForSelector("#signed-in:not([hidden])");
  await page.click("#btn-courses");
  await page.waitForFunction(() => /courses in/.test(document.getElementById("result-title").textContent));
  await page.waitForTimeout(1200);
  await shot(page, "demo-signed-in.png", { fullPage: true });

  // Phone width, same browser session (a second tab).
  const small = await context.newPage();
  await small.setViewportSize({ width: 390, height: 844 });
  await small.goto(`${BASE}/`);
  await small.waitForSelector("#signed-in:not([hidden])");
  await small.waitForTimeout(1200);
  await shot(small, "demo-phone.png");

  // An error state: Cancel on the consent page, in a fresh browser session.
  const other = await browser.newContext(desktop);
  const denied = await other.newPage();
  await denied.goto(`${BASE}/`);
  await denied.waitForSelector("html[data-ready]");
  await denied.click("#sign-in");
  await logIn(denied);
  await denied.click("text=Cancel");
  await denied.waitForURL((url) => url.href === `${BASE}/`);
  await denied.waitForSelector("#error:not([hidden])");
  await shot(denied, "demo-error.png");

  // Inside "Canvas": the course page iframes the demo from another site; sign-in by popup.
  const lti = await browser.newContext(desktop);
  const course = await lti.newPage();
  course.setDefaultTimeout(15_000);
  await course.goto(COURSE);
  const app = course.frameLocator("#tool");
  await app.locator("html[data-ready]").waitFor({ state: "attached" });
  const opened = lti.waitForEvent("page");
  await app.locator("#sign-in-popup").click();
  const popup = await opened;
  await popup.waitForURL((url) => url.href.startsWith(`${CANVAS}/login`));
  await logIn(popup);
  await popup.click("#oauth2_accept_form button.primary");
  await app.locator("#signed-in:not([hidden])").waitFor();
  await course.waitForTimeout(1200);
  await shot(course, "demo-in-canvas.png");
} finally {
  await browser.close();
}
console.log("wrote docs/images/demo-{consent,error,signed-in,phone,in-canvas}.png");
