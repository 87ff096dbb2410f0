/**
 * The command tree and everything that needs no running node: help, usage
 * errors (exit 2), advice when no daemon runs, init, rendering, config checks.
 */
import { stat, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseBytes } from '../../src/api/bytes.js'
import { checkSettings, validateConfig } from '../../src/api/config.js'
import { resolveDir } from '../../src/api/dir.js'
import { CommandContext } from '../../src/cli/context.js'
import { createProgress } from '../../src/cli/progress.js'
import { renderCheck, stillLost } from '../../src/cli/commands/check.js'
import { checkNotice } from '../../src/cli/commands/daemon.js'
import { createProgram } from '../../src/cli/program.js'
import { bar, formatBytes } from '../../src/cli/render.js'
import { Capture, removeDir, run, tempDir } from './helpers.js'
import type { Command } from 'commander'

function walk (command: Command, path: string[] = []): Array<{ command: Command, path: string[] }> {
  return command.commands.flatMap(c => {
    const here = [...path, c.name()]
    return [{ command: c, path: here }, ...walk(c, here)]
  })
}

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeDir))
})

describe('command tree', () => {
  const program = createProgram(new CommandContext({ stdout: new Capture(), stderr: new Capture(), stdin: (async function * () {})(), env: {} }))
  const all = walk(program)

  it('has every command of issue 4', () => {
    const names = all.map(c => c.path.join(' '))
    for (const name of ['init', 'daemon', 'put', 'get', 'stat', 'ls', 'rm', 'verify', 'repair', 'check', 'track', 'untrack', 'tracked', 'status', 'peers', 'bench', 'bench codec']) {
      expect(names).toContain(name)
    }
  })

  it('gives every command, option and argument a description', () => {
    expect(all.length).toBeGreaterThanOrEqual(13)
    for (const { command, path } of all) {
      expect(command.description(), `description of ${path.join(' ')}`).toMatch(/\w{3,}/)
      for (const option of command.options) expect(option.description, `${path.join(' ')} ${option.flags}`).toMatch(/\w{3,}/)
      for (const arg of command.registeredArguments) expect(arg.description, `${path.join(' ')} <${arg.name()}>`).toMatch(/\w{3,}/)
    }
    for (const option of program.options) expect(option.description).toMatch(/\w{3,}/)
  })

  it('prints help for every command, with exit code 0', async () => {
    for (const { command, path } of all) {
      const result = await run([...path, '--help'])
      expect(result.code, path.join(' ')).toBe(0)
      expect(result.stdout).toContain(`Usage: shoal ${path.join(' ')}`)
      expect(result.stdout.replace(/\s+/g, ' ')).toContain(command.description())
      expect(result.stdout).toContain('--json') // the global options are shown
    }
    const top = await run(['--help'])
    expect(top.code).toBe(0)
    expect(top.stdout).toContain('Exit codes: 0 ok, 1 error, 2 usage')
    const viaHelp = await run(['help', 'put'])
    expect(viaHelp.code).toBe(0)
    expect(viaHelp.stdout).toContain('Usage: shoal put')
  })

  it('prints the version', async () => {
    const result = await run(['--version'])
    expect(result.code).toBe(0)
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })
})

describe('usage errors exit 2', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['no command', [], /Usage: shoal/],
    ['unknown command', ['frobnicate'], /unknown command/],
    ['unknown option', ['status', '--frob'], /unknown option/],
    ['missing argument', ['put'], /missing required argument 'file'/],
    ['bad preset', ['put', 'x', '--preset', 'huge'], /Allowed choices are minimal, personal, federation, paranoid/],
    ['bad shard count', ['put', 'x', '--data-shards', 'two', '--parity-shards', '1'], /expected a whole number/],
    ['data shards alone', ['put', 'x', '--data-shards', '2'], /--data-shards and --parity-shards go together/],
    ['preset and shards', ['put', 'x', '--preset', 'minimal', '--data-shards', '2', '--parity-shards', '1'], /not both/],
    ['bad api port', ['daemon', '--api-port', '99999'], /a port is an integer/],
    ['get --json to stdout', ['get', 'shoal:x', '--json'], /--json needs -o FILE/],
    ['check without a handle', ['check'], /missing required argument 'handle'/],
    ['track without a handle', ['track'], /missing required argument 'handle'/]
  ]
  for (const [name, argv, message] of cases) {
    it(name, async () => {
      const dir = await tempDir()
      dirs.push(dir)
      const result = await run(['--dir', dir, ...argv])
      expect(result.code).toBe(2)
      expect(result.stderr).toMatch(message)
      expect(result.stdout).toBe('')
    })
  }
})

describe('without a daemon', () => {
  it('every client command says how to start one, exit 1', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const file = join(dir, 'f.txt')
    await import('node:fs/promises').then(async fs => { await fs.writeFile(file, 'hello') })
    const handle = 'shoal:bafkreiesgbaef5wflchquyq6vorl6y7kvufbqiklmara3yrw7yhhrnoinu'
    for (const argv of [['status'], ['peers'], ['ls'], ['put', file], ['get', handle], ['stat', handle], ['verify', handle], ['repair', handle], ['rm', handle], ['check', handle], ['track', handle], ['untrack', handle], ['tracked']]) {
      const result = await run(['--dir', dir, ...argv])
      expect(result.code, argv[0]).toBe(1)
      expect(result.stderr).toContain('no daemon is running')
      expect(result.stderr).toContain(`start one with \`shoal daemon --dir ${dir}\``)
    }
  })

  it('--json errors are one JSON object on stderr', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const result = await run(['--dir', dir, '--json', 'status'])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    const { error } = JSON.parse(result.stderr)
    expect(error.name).toBe('NoDaemonError')
    expect(error.advice).toContain('shoal daemon')
  })

  it('put of a missing file says so, exit 1', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const result = await run(['--dir', dir, 'put', join(dir, 'missing.bin')])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`no such file: ${join(dir, 'missing.bin')}`)
  })

  it('put of a directory says so, exit 1', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const result = await run(['--dir', dir, 'put', dir])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('is a directory')
  })
})

describe('init', () => {
  it('creates identity, config and token (0600) and refuses to run twice', async () => {
    const base = await tempDir()
    dirs.push(base)
    const dir = join(base, 'data')
    const first = await run(['--dir', dir, '--json', 'init'])
    expect(first.code).toBe(0)
    const out = JSON.parse(first.stdout)
    expect(out.peerId).toMatch(/^12D3KooW/)
    for (const name of ['identity.key', 'config.json', 'api.token']) {
      expect((await stat(join(dir, name))).mode & 0o777, name).toBe(0o600)
    }
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
    const config = validateConfig(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')), 'config.json')
    expect(config.api).toEqual({ host: '127.0.0.1', port: 5610, allowRemote: false })
    expect((await readFile(join(dir, 'api.token'), 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/)

    const again = await run(['--dir', dir, 'init'])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('already initialised')
  })

  it('uses SHOAL_DIR, and --dir over it', async () => {
    const base = await tempDir()
    dirs.push(base)
    const viaEnv = await run(['--json', 'init'], { env: { SHOAL_DIR: join(base, 'env') } })
    expect(viaEnv.code).toBe(0)
    expect(JSON.parse(viaEnv.stdout).dir).toBe(join(base, 'env'))
    const viaFlag = await run(['--json', 'init', '--dir', join(base, 'flag')], { env: { SHOAL_DIR: join(base, 'env') } })
    expect(viaFlag.code).toBe(0)
    expect(JSON.parse(viaFlag.stdout).dir).toBe(join(base, 'flag'))
    expect(resolveDir(undefined, {}, '/home/u')).toBe('/home/u/.shoal')
  })
})

describe('config', () => {
  it('refuses unknown fields and bad values, naming the field', () => {
    expect(() => validateConfig({ lisen: [] }, 'c.json')).toThrow(expect.objectContaining({ name: 'ConfigError', field: 'lisen' }))
    expect(() => validateConfig({ api: { port: 70000 } }, 'c.json')).toThrow(expect.objectContaining({ field: 'api.port' }))
    expect(() => validateConfig({ capacity: 'lots' }, 'c.json')).toThrow(expect.objectContaining({ field: 'capacity' }))
    expect(validateConfig({}, 'c.json').capacity).toBe('10GiB')
  })

  it('checks the periodic check\'s fields: checkIntervalMs, leaseMs, repairAfterLost', () => {
    const defaults = validateConfig({}, 'c.json')
    expect(defaults).toMatchObject({ checkIntervalMs: null, leaseMs: null, repairAfterLost: null })
    expect(checkSettings(defaults)).toEqual({ checkIntervalMs: undefined, leaseMs: undefined, repairAfterLost: undefined }) // the node's defaults
    const set = validateConfig({ checkIntervalMs: 60_000, leaseMs: 3_600_000, repairAfterLost: 2 }, 'c.json')
    expect(checkSettings(set)).toEqual({ checkIntervalMs: 60_000, leaseMs: 3_600_000, repairAfterLost: 2 })
    expect(validateConfig({ checkIntervalMs: 0, leaseMs: 5000 }, 'c.json').checkIntervalMs).toBe(0) // off: no lease to outrun
    for (const [field, value] of [
      ['checkIntervalMs', -1], ['checkIntervalMs', 10], ['checkIntervalMs', 1.5], ['checkIntervalMs', '1h'],
      ['leaseMs', 0], ['leaseMs', -5], ['leaseMs', '30d'], ['leaseMs', 2 ** 60],
      ['repairAfterLost', 0], ['repairAfterLost', 1.5], ['repairAfterLost', '2'], ['repairAfterLost', true]
    ] as const) {
      expect(() => validateConfig({ [field]: value }, 'c.json'), `${field}: ${String(value)}`).toThrow(expect.objectContaining({ name: 'ConfigError', field, path: 'c.json' }))
    }
    expect(() => validateConfig({ checkintervalms: 1000 }, 'c.json')).toThrow(expect.objectContaining({ name: 'ConfigError', field: 'checkintervalms' }))
  })

  it('refuses a check interval that is not shorter than the lease, defaults included', () => {
    for (const raw of [
      { checkIntervalMs: 60_000, leaseMs: 60_000 },
      { checkIntervalMs: 120_000, leaseMs: 60_000 },
      { leaseMs: 60_000 }, // against the default interval, 1 hour
      { checkIntervalMs: 31 * 24 * 3600_000 } // against the default lease, 30 days
    ]) {
      expect(() => validateConfig(raw, 'c.json'), JSON.stringify(raw)).toThrow(expect.objectContaining({ name: 'ConfigError', field: 'checkIntervalMs', message: expect.stringContaining('shorter than leaseMs') }))
    }
  })

  it('parses sizes', () => {
    expect(parseBytes('10GiB')).toBe(10 * 1024 ** 3)
    expect(parseBytes('500MB')).toBe(500e6)
    expect(parseBytes('1.5 k')).toBe(1536)
    expect(parseBytes('4096')).toBe(4096)
    expect(parseBytes('-1')).toBeNull()
    expect(parseBytes('10 parsecs')).toBeNull()
  })
})

describe('rendering', () => {
  it('formats sizes and bars', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(1536)).toBe('1.50 KiB')
    expect(formatBytes(10 * 1024 ** 3)).toBe('10.0 GiB')
    expect(bar(0, 100, 10)).toBe('[░░░░░░░░░░]')
    expect(bar(50, 100, 10)).toBe('[█████░░░░░]')
    expect(bar(1, 1e9, 10)).toBe('[█░░░░░░░░░]') // anything used shows
    expect(bar(5, 0, 4)).toBe('[░░░░]')
  })

  it('draws progress only on a terminal', async () => {
    const tty = new Capture(true)
    const progress = createProgress(tty, 'put', 1000, true)
    await new Promise(resolve => setTimeout(resolve, 120))
    progress.update(500)
    progress.done()
    expect(tty.text).toContain('50%')
    expect(tty.text).toContain('\r')

    const pipe = new Capture(false)
    const none = createProgress(pipe, 'put', 1000, true)
    await new Promise(resolve => setTimeout(resolve, 120))
    none.update(500)
    none.done()
    expect(pipe.text).toBe('')
  })
})

describe('check reports', () => {
  const audit = (shard: number, peerId: string, outcome: 'passed' | 'unreachable' | 'missing' | 'failed', reason?: string) =>
    ({ shard, peerId, outcome, blocksClaimed: outcome === 'passed' ? 2 : 0, challenged: [], reason })
  const base = { manifest: 'bafkreitest', dataShards: 2, parityShards: 1 }

  it('shows each holder\'s audit, the health line, the repair, and whether shards are still lost', () => {
    const repaired = {
      ...base,
      healthyShards: 2,
      health: 0,
      lost: [2],
      audits: [audit(0, 'peerA', 'passed'), audit(1, 'peerB', 'passed'), audit(2, 'peerC', 'unreachable', 'connection refused')],
      repair: { manifest: 'bafkreitest', healthyBefore: 2, healthyAfter: 3, repaired: [{ index: 2, holder: 'peerD' }], bytesFetched: 2048, bytesStored: 1024 }
    }
    const text = renderCheck(repaired)
    expect(text).toMatch(/\n2\s+parity\s+peerC\s+UNREACHABLE\s+connection refused\n/)
    expect(text).toMatch(/\n0\s+data\s+peerA\s+passed\n/)
    expect(text).toContain('2/3 shards healthy, health 0.00, lost: 1 shard (#2)')
    expect(text).toContain('repaired  1 shard (#2 -> peerD)')
    expect(text).toMatch(/\nOK\n$/)
    expect(stillLost(repaired)).toBe(0)

    const failed = { ...repaired, repair: null, error: 'NotEnoughPeersError: not enough storage peers' }
    expect(renderCheck(failed)).toContain('repair    FAILED: NotEnoughPeersError')
    expect(renderCheck(failed)).toMatch(/DEGRADED: 1 shard still lost\n$/)
    expect(stillLost(failed)).toBe(1)
    const waiting = { ...repaired, repair: null, audits: [], healthyShards: 2 }
    expect(renderCheck(waiting)).toContain('not yet')
    expect(renderCheck(waiting)).toMatch(/\n2\s+parity\s+-\s+NO HOLDER/)
  })

  it('the daemon reports a periodic check only when it found a loss or failed', () => {
    const healthy = { ...base, healthyShards: 3, health: 1, lost: [], audits: [], repair: null }
    expect(checkNotice(healthy)).toBeUndefined()
    expect(checkNotice({ ...healthy, healthyShards: 2, health: 0, lost: [1], error: 'NotEnoughPeersError: none' })).toBe('check bafkreitest: 1 shard lost (2/3 healthy); repair failed: NotEnoughPeersError: none')
    expect(checkNotice({ manifest: 'bafkreitest', error: 'ManifestNotFoundError: gone' })).toBe('check bafkreitest: could not check: ManifestNotFoundError: gone')
  })
})

describe('bench codec', () => {
  it('runs the codec benchmark and passes --json through', async () => {
    const result = await run(['--json', 'bench', 'codec', '--quick', '--filter', 'encode 10x4 64KiB'])
    expect(result.code, result.stderr).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report.env.node).toBe(process.version)
    expect(report.results.some((r: { case: string }) => r.case === 'encode 10x4 64KiB')).toBe(true)
  }, 120_000)
})
