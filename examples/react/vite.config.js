import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `vite build --mode development` builds React's development version (Vite keeps NODE_ENV at
// "production" for every build unless told otherwise). Only in it does <React.StrictMode> run each
// effect twice, which is what the e2e test needs to see the hook cope with.
export default defineConfig(({ mode }) => ({
  plugins: [react()],
  define: mode === "development" ? { "process.env.NODE_ENV": JSON.stringify("development") } : {},
  build: mode === "development" ? { minify: false } : {},
}));
