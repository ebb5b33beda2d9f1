// habitat completion bash|zsh|fish: a completion script generated from the command tree itself, so it
// always knows every command, subcommand and flag; agent names are completed from `habitat list`.
import type { Command, Option } from 'commander';
import { printLine, UsageError } from '../output.js';

interface Node {
  path: string[];
  description: string;
  options: { flags: string[]; description: string; takesValue: boolean }[];
  children: Node[];
  /** the first argument is an agent name */
  agentArg: boolean;
}

function tree(cmd: Command, path: string[] = []): Node {
  const options = (cmd.options as readonly Option[]).map((o) => ({
    flags: [o.short, o.long].filter((f): f is string => Boolean(f)),
    description: o.description,
    takesValue: o.required || o.optional,
  }));
  const first = cmd.registeredArguments[0]?.name() ?? '';
  return {
    path,
    description: cmd.description(),
    options,
    agentArg: first === 'agent',
    children: cmd.commands.map((c) => tree(c, [...path, c.name()])),
  };
}

const all = (n: Node): Node[] => [n, ...n.children.flatMap(all)];
const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
const AGENTS = 'habitat list --format tsv 2>/dev/null | tail -n +2 | cut -f1';

function bash(root: Node): string {
  const cases = all(root).map((n) => {
    const words = [...n.children.map((c) => c.path.at(-1)!), ...n.options.flatMap((o) => o.flags)];
    return `    ${quote(n.path.join(' '))}) words=${quote(words.join(' '))}; agents=${n.agentArg ? 1 : 0} ;;`;
  });
  return `# habitat bash completion: eval "$(habitat completion bash)" in ~/.bashrc
_habitat() {
  local cur=\${COMP_WORDS[COMP_CWORD]} path="" w i words agents
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    [[ $w == -* ]] && continue
    case "\${path:+$path }$w" in
${pathCases(root)}
    esac
  done
  case "$path" in
${cases.join('\n')}
  esac
  if [[ $cur != -* && $agents == 1 ]]; then words="$words $(${AGENTS})"; fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _habitat habitat
`;
}

/** The `case` arms (bash and zsh alike) that follow the words typed so far down the command tree. */
function pathCases(root: Node): string {
  return all(root)
    .filter((n) => n.path.length > 0)
    .map((n) => `      ${quote(n.path.join(' '))}) path=${quote(n.path.join(' '))} ;;`)
    .join('\n');
}

function zsh(root: Node): string {
  const cases = all(root).map((n) => {
    const items = [
      ...n.children.map((c) => `${c.path.at(-1)!}:${c.description.replace(/:/g, '\\:')}`),
      ...n.options.flatMap((o) => o.flags.map((f) => `${f}:${o.description.replace(/:/g, '\\:')}`)),
    ];
    return `    ${quote(n.path.join(' '))}) items=(${items.map(quote).join(' ')}); agents=${n.agentArg ? 1 : 0} ;;`;
  });
  return `#compdef habitat
# habitat zsh completion: habitat completion zsh > "\${fpath[1]}/_habitat" (then compinit)
_habitat() {
  local path="" w i agents=0
  local -a items
  for ((i = 2; i < CURRENT; i++)); do
    w=\${words[i]}
    [[ $w == -* ]] && continue
    case "\${path:+$path }$w" in
${pathCases(root)}
    esac
  done
  case "$path" in
${cases.join('\n')}
  esac
  if [[ $agents == 1 && \${words[CURRENT]} != -* ]]; then items+=(\${(f)"$(${AGENTS})"}); fi
  _describe 'habitat' items
}
compdef _habitat habitat
`;
}

function fish(root: Node): string {
  const lines = [
    '# habitat fish completion: habitat completion fish > ~/.config/fish/completions/habitat.fish',
    'complete -c habitat -f',
  ];
  for (const n of all(root)) {
    const cond =
      n.path.length === 0
        ? '__fish_use_subcommand'
        : `__fish_seen_subcommand_from ${n.path.at(-1)!}${n.path.length > 1 ? `; and __fish_seen_subcommand_from ${n.path.at(-2)!}` : ''}`;
    for (const c of n.children)
      lines.push(
        `complete -c habitat -n ${quote(cond)} -a ${quote(c.path.at(-1)!)} -d ${quote(c.description)}`,
      );
    for (const o of n.options) {
      const short = o.flags.find((f) => /^-[^-]$/.test(f));
      const long = o.flags.find((f) => f.startsWith('--'));
      lines.push(
        `complete -c habitat -n ${quote(cond)}${short ? ` -s ${short.slice(1)}` : ''}${long ? ` -l ${long.slice(2)}` : ''}${o.takesValue ? ' -r' : ''} -d ${quote(o.description)}`,
      );
    }
    if (n.agentArg) lines.push(`complete -c habitat -n ${quote(cond)} -a '(${AGENTS})'`);
  }
  return `${lines.join('\n')}\n`;
}

export function registerCompletionCommand(program: Command): void {
  program
    .command('completion <shell>')
    .description('print a shell completion script: bash, zsh or fish')
    .addHelpText(
      'after',
      '\nExamples:\n  echo \'eval "$(habitat completion bash)"\' >> ~/.bashrc\n  habitat completion zsh > "${fpath[1]}/_habitat"\n  habitat completion fish > ~/.config/fish/completions/habitat.fish',
    )
    .action((shell: string) => {
      const root = tree(program);
      const make = { bash, zsh, fish }[shell];
      if (!make) throw new UsageError(`no completion for "${shell}": use bash, zsh or fish`);
      printLine(make(root).trimEnd());
    });
}
