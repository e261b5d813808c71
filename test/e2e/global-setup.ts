// Runs once before the browser tests: without Chromium at its path the run stops here, with the line
// that says what to install, instead of each test failing to launch.
import { requireChromium } from '../helpers/browser';

export default function globalSetup(): void {
  requireChromium();
}
