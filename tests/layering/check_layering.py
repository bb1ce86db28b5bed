#!/usr/bin/env python3
"""Fails when an #include runs against the layering of ../shared/DESIGN.md.

The layers, and what each may include:
  core/     core only (Qt without Qt Widgets, LibTorch, the standard library)
  widgets/  widgets and core; no LibTorch, not even through a core header
  app/      app, widgets and core; no LibTorch, not even through a core header
  plugins/  its own plugin folder and core; no widgets, no app
Tests and tools are not checked. Quoted includes are resolved the way the build resolves them
(the file's own folder, then core/, widgets/, app/); angle includes are sorted by where their
header lies (LibTorch's torch/ATen/c10 folders, Qt's QtWidgets module).

  check_layering.py [TOP]        check the tree at TOP (default: this repository); exit 1 on a violation
  check_layering.py --self-test  check trees with deliberate violations and a clean one
"""
import os
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
SOURCE_SUFFIXES = ('.h', '.hpp', '.cpp', '.cc')
TORCH_PREFIXES = ('torch/', 'ATen/', 'c10/', 'caffe2/', 'c10d/')
QT_ROOTS = ('/usr/include/x86_64-linux-gnu/qt6', '/usr/include/aarch64-linux-gnu/qt6', '/usr/include/qt6')
ALLOWED = {
    'core': {'core'},
    'widgets': {'widgets', 'core'},
    'app': {'app', 'widgets', 'core'},
    'plugins': {'plugins', 'core'},
}
NO_TORCH = {'widgets', 'app'}


def qt_widgets_header(name):
    """Whether <name> is a Qt Widgets header (<QWidget>, <QtWidgets/QDialog>)."""
    if name.startswith('QtWidgets/') or name == 'QtWidgets':
        return True
    return any(os.path.exists(os.path.join(root, 'QtWidgets', name)) for root in QT_ROOTS)


class Checker:
    def __init__(self, top):
        self.top = os.path.abspath(top)
        self.torch_reach = {}  # resolved path -> chain of includes that reaches LibTorch, or None

    def layer_of(self, path):
        rel = os.path.relpath(path, self.top)
        first = rel.split(os.sep)[0]
        return first if first in ALLOWED else None

    def resolve(self, including_file, name):
        for base in (os.path.dirname(including_file), os.path.join(self.top, 'core'),
                     os.path.join(self.top, 'widgets'), os.path.join(self.top, 'app')):
            candidate = os.path.normpath(os.path.join(base, name))
            if os.path.isfile(candidate):
                return candidate
        return None

    def includes(self, path):
        try:
            with open(path, encoding='utf-8', errors='replace') as f:
                text = f.read()
        except OSError:
            return []
        return [(m.group(1), m.group(2).strip(), text.count('\n', 0, m.start()) + 1) for m in INCLUDE.finditer(text)]

    def reaches_torch(self, path, seen=None):
        """The chain of quoted includes from path to a LibTorch header, or None."""
        if path in self.torch_reach:
            return self.torch_reach[path]
        seen = seen or set()
        if path in seen:
            return None
        seen.add(path)
        found = None
        for kind, name, _ in self.includes(path):
            if kind == '<' and name.startswith(TORCH_PREFIXES):
                found = [name]
                break
            if kind == '"':
                target = self.resolve(path, name)
                if target:
                    chain = self.reaches_torch(target, seen)
                    if chain:
                        found = [os.path.relpath(target, self.top)] + chain
                        break
        self.torch_reach[path] = found
        return found

    def check_file(self, path):
        layer = self.layer_of(path)
        problems = []
        rel = os.path.relpath(path, self.top)
        for kind, name, line in self.includes(path):
            where = f'{rel}:{line}: #include {kind}{name}{">" if kind == "<" else chr(34)}'
            if kind == '<':
                if name.startswith(TORCH_PREFIXES) and layer in NO_TORCH:
                    problems.append(f'{where}: LibTorch in {layer}/ (widgets and app talk to core through Qt types)')
                elif layer == 'core' and qt_widgets_header(name):
                    problems.append(f'{where}: Qt Widgets in core/ (core never includes a widget)')
                continue
            target = self.resolve(path, name)
            if not target:
                continue  # generated (moc) or a header outside the tree
            target_layer = self.layer_of(target)
            if target_layer and target_layer not in ALLOWED[layer]:
                problems.append(f'{where}: {layer}/ may not include {target_layer}/ ({os.path.relpath(target, self.top)})')
            elif target_layer == 'plugins' and layer == 'plugins' and \
                    os.path.relpath(target, self.top).split(os.sep)[1] != rel.split(os.sep)[1]:
                problems.append(f'{where}: one plugin may not include another plugin\'s files')
            elif layer in NO_TORCH:
                chain = self.reaches_torch(target)
                if chain:
                    problems.append(f'{where}: reaches LibTorch through {" -> ".join(chain)}')
        return problems

    def run(self):
        problems = []
        for layer in ALLOWED:
            for root, _, files in os.walk(os.path.join(self.top, layer)):
                for name in sorted(files):
                    if name.endswith(SOURCE_SUFFIXES):
                        problems += self.check_file(os.path.join(root, name))
        return problems


def write(top, rel, text):
    path = os.path.join(top, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def self_test():
    """Each deliberate violation is found, and a clean tree passes."""
    clean = {
        'core/config/RunConfig.h': '#pragma once\n#include <QString>\n',
        'core/models/Net.cpp': '#include "config/RunConfig.h"\n#include <torch/torch.h>\n',
        'widgets/Form.h': '#include "config/RunConfig.h"\n#include <QWidget>\n',
        'app/Main.cpp': '#include "Form.h"\n#include "config/RunConfig.h"\n',
        'plugins/compress/Plugin.cpp': '#include "config/RunConfig.h"\n#include <torch/torch.h>\n',
    }
    violations = {
        'core including a widget': ('core/config/Bad.cpp', '#include "Form.h"\n', 'core/ may not include widgets/'),
        'core including app': ('core/config/Bad.cpp', '#include "Main.cpp"\n', 'core/ may not include app/'),
        'core including Qt Widgets': ('core/config/Bad.cpp', '#include <QtWidgets/QDialog>\n', 'Qt Widgets in core/'),
        'widgets including app': ('widgets/Bad.cpp', '#include "Main.cpp"\n', 'widgets/ may not include app/'),
        'widgets including LibTorch': ('widgets/Bad.cpp', '#include <torch/torch.h>\n', 'LibTorch in widgets/'),
        'app reaching LibTorch through core': ('app/Bad.cpp', '#include "models/Torchy.h"\n', 'reaches LibTorch through'),
        'a plugin including a widget': ('plugins/compress/Bad.cpp', '#include "Form.h"\n', 'plugins/ may not include widgets/'),
        'a plugin including another': ('plugins/federated/Bad.cpp', '#include "../compress/Plugin.cpp"\n',
                                       "one plugin may not include another plugin's files"),
    }
    failures = 0
    with tempfile.TemporaryDirectory() as top:
        for rel, text in clean.items():
            write(top, rel, text)
        write(top, 'core/models/Torchy.h', '#pragma once\n#include <ATen/ATen.h>\n')
        problems = Checker(top).run()
        if problems:
            print('self-test: the clean tree was refused:\n  ' + '\n  '.join(problems))
            failures += 1
    for case, (rel, text, expected) in violations.items():
        with tempfile.TemporaryDirectory() as top:
            for clean_rel, clean_text in clean.items():
                write(top, clean_rel, clean_text)
            write(top, 'core/models/Torchy.h', '#pragma once\n#include <ATen/ATen.h>\n')
            write(top, rel, text)
            problems = Checker(top).run()
            if not any(expected in p for p in problems):
                print(f'self-test: {case}: not found (expected "{expected}"; got {problems})')
                failures += 1
            else:
                print(f'self-test: {case}: found')
    print('self-test: ' + ('passed' if not failures else f'{failures} case(s) failed'))
    return 1 if failures else 0


def main(argv):
    if len(argv) > 1 and argv[1] in ('-h', '--help'):
        print(__doc__)
        return 0
    if len(argv) > 1 and argv[1] == '--self-test':
        return self_test()
    top = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
    problems = Checker(top).run()
    for p in problems:
        print(p)
    print(f'check_layering: {len(problems)} include(s) against the layering (app -> widgets -> core, plugins -> core, '
          f'no LibTorch in widgets or app)')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
