import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { captureAccessTokenFromAddress } from "./api/access-token";
import "./styles.css";

captureAccessTokenFromAddress();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
