// The dashboard's one script: the page says which it is (<body data-page="days|run">).
import { startDaysPage } from "./days-page";
import { startRunPage } from "./run-page";

const start = document.body.dataset.page === "run" ? startRunPage : startDaysPage;
start().catch((error: unknown) => {
  const status = document.getElementById("status");
  if (status) status.textContent = `The page failed: ${String(error)}`;
  document.getElementById("dashboard")?.setAttribute("data-state", "error");
});
