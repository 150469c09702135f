"""Map the fixed top-level folders onto one import package, `wazify`.

server/ becomes `wazify`, db/ becomes `wazify.db` and client/ ships as package data in
`wazify.client`, so nothing generic like `server` or `db` lands at the top of site-packages.
"""

from setuptools import find_packages, setup

FOLDERS = {"wazify": "server", "wazify.db": "db", "wazify.client": "client"}


def packages() -> list[str]:
    found = ["wazify", "wazify.db", "wazify.client"]
    for name, folder in FOLDERS.items():
        found += [f"{name}.{sub}" for sub in find_packages(folder)]
    return found


setup(
    package_dir=FOLDERS,
    packages=packages(),
    package_data={"wazify.client": ["*", "**/*"]},
    include_package_data=True,
)
