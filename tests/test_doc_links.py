"""Every relative link of the README and the docs it leads to resolves: the
file exists and a ``#anchor`` names one of its headings (GitHub's rule)."""
import os.path as osp
import re

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DOCS = ['README.md', 'docs/design.md', 'docs/results/README.md']
LINK = re.compile(r'\]\(([^)\s]+)\)')


def anchors(path):
    """GitHub's heading ids: lower case, punctuation dropped, spaces to -."""
    found = set()
    text = open(path, encoding='utf-8').read()
    for line in re.sub(r'```.*?```', '', text, flags=re.S).splitlines():
        if line.startswith('#'):
            title = line.lstrip('#').strip().lower()
            found.add(re.sub(r'[^\w\- ]', '', title).replace(' ', '-'))
    return found


def links(doc):
    text = open(osp.join(ROOT, doc), encoding='utf-8').read()
    text = re.sub(r'```.*?```', '', text, flags=re.S)  # code is not linked
    return [m for m in LINK.findall(text)
            if not re.match(r'[a-z]+://|mailto:', m)]


@pytest.mark.parametrize('doc', DOCS)
def test_relative_links_resolve(doc):
    targets = links(doc)
    assert targets, f'{doc} has no relative links to check'
    for target in targets:
        path, _, anchor = target.partition('#')
        full = osp.normpath(osp.join(ROOT, osp.dirname(doc), path)) \
            if path else osp.join(ROOT, doc)
        assert osp.exists(full), f'{doc}: {target} does not exist'
        if anchor:
            assert anchor in anchors(full), \
                f'{doc}: {target}: no heading #{anchor} in {full}'
