export { HELP, main } from './main.js'
export { EXIT, type CliIO } from './io.js'
