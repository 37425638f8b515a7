#!/usr/bin/env node
// A committed entry, so the package manager can link the command before the first build.
import "../dist/bin.js"
