import { packageBuild } from '../../tsup.base.js'

// Two entries: the whole package, and `./presets` (the values alone, without @oauth/http).
export default packageBuild({ platform: 'neutral', entry: ['src/index.ts', 'src/presets.ts'] })
