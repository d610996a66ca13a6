"""``mzgis users``: add, list, token, revoke.

The CLI acts on the store directly, as ``cli:<os user>`` in the audit log. Passwords are read
hidden from the terminal (or one line of standard input with ``--password-stdin``), never from
the command line.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from api.cli_common import StoreOption, cli_actor, console, opened_store, user_errors

__all__ = ["app"]

app = typer.Typer(name="users", help="Users and tokens / 用户与令牌", no_args_is_help=True)


@app.command("add")
@user_errors
def add_user(
    username: Annotated[str, typer.Argument(help="Login name / 用户名")],
    role: Annotated[str, typer.Option(help="admin, planner, inspector or viewer / 角色")],
    name: Annotated[str, typer.Option(help="Display name / 姓名")] = "",
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from standard input / 从标准输入读取密码")
    ] = False,
    store: StoreOption = None,
) -> None:
    """Add a user (password hashed with argon2) / 添加用户（密码以 argon2 哈希保存）"""
    from api.auth import hash_password
    from api.users.schemas import UserCreate
    from layers.records import User, open_record_store

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password / 密码", hide_input=True, confirmation_prompt=True)
    checked = UserCreate(username=username, role=role, display_name=name, password=password)  # type: ignore[arg-type]
    user = User(
        checked.username, checked.role, checked.display_name or username, hash_password(password)
    )
    with opened_store(store) as opened:
        open_record_store(opened).add_user(user, actor=cli_actor())
    console().print(f"added {username} ({role}) / 已添加用户 {username}", markup=False)


@app.command("list")
@user_errors
def list_users(store: StoreOption = None) -> None:
    """List users and their roles / 列出用户及角色"""
    from rich.table import Table

    from layers.records import open_record_store

    with opened_store(store) as opened:
        users = open_record_store(opened).list_users()
    table = Table(title=f"{len(users)} users / 个用户")
    for column in ("username/用户名", "role/角色", "name/姓名", "active/启用", "created/创建"):
        table.add_column(column)
    for u in users:
        table.add_row(u.username, u.role, u.display_name, "yes" if u.active else "no", u.created_at)
    console().print(table)


@app.command("token")
@user_errors
def token(
    username: Annotated[str, typer.Argument(help="Login name / 用户名")],
    days: Annotated[float, typer.Option(min=0.01, max=366, help="Valid for days / 有效天数")] = 30,
    label: Annotated[str, typer.Option(help="What the token is for / 用途")] = "cli",
    store: StoreOption = None,
) -> None:
    """Issue a bearer token (shown once) / 签发访问令牌（只显示一次）"""
    from api.auth import issue_token
    from layers.records import open_record_store

    with opened_store(store) as opened:
        records = open_record_store(opened)
        records.get_user(username)
        value, expires_at = issue_token(
            records, username, actor=cli_actor(), label=label, days=days
        )
    typer.echo(value)  # alone on stdout, for scripts
    typer.echo(f"expires {expires_at} / 有效期至 {expires_at}", err=True)


@app.command("revoke")
@user_errors
def revoke(username: Annotated[str, typer.Argument()], store: StoreOption = None) -> None:
    """Revoke every token of a user / 吊销用户的全部令牌"""
    from layers.records import open_record_store

    with opened_store(store) as opened:
        count = open_record_store(opened).revoke_tokens(username, actor=cli_actor())
    console().print(f"revoked {count} token(s) / 已吊销 {count} 个令牌", markup=False)
