"""``mzgis users``: add, list, token, revoke, disable, enable, passwd, remove.

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

PasswordStdin = Annotated[
    bool, typer.Option(help="Read the password from standard input / 从标准输入读取密码")
]

app = typer.Typer(name="users", help="Users and tokens / 用户与令牌", no_args_is_help=True)


@app.command("add")
@user_errors
def add_user(
    username: Annotated[str, typer.Argument(help="Login name / 用户名")],
    role: Annotated[str, typer.Option(help="admin, planner, inspector or viewer / 角色")],
    name: Annotated[str, typer.Option(help="Display name / 姓名")] = "",
    password_stdin: PasswordStdin = False,
    store: StoreOption = None,
) -> None:
    """Add a user (password hashed with argon2) / 添加用户（密码以 argon2 哈希保存）"""
    from api.auth import hash_password
    from api.users.passwords import check_password
    from api.users.schemas import UserCreate
    from layers.records import User, open_record_store

    password = _read_password(password_stdin)
    check_password(password, username=username, display_name=name)
    checked = UserCreate(username=username, role=role, display_name=name, password=password)  # type: ignore[arg-type]
    user = User(
        checked.username, checked.role, checked.display_name or username, hash_password(password)
    )
    with opened_store(store, writes=True) as opened:
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

    with opened_store(store, writes=True) as opened:
        records = open_record_store(opened)
        records.get_user(username)
        value, expires_at = issue_token(
            records, username, actor=cli_actor(), label=label, days=days
        )
    typer.echo(value)  # alone on stdout, for scripts
    typer.echo(f"expires {expires_at} / 有效期至 {expires_at}", err=True)


@app.command("revoke")
@user_errors
def revoke(
    username: Annotated[str, typer.Argument()],
    keep_password: Annotated[
        bool,
        typer.Option(
            help="Keep password sign-in working (only sign out everywhere)"
            " / 保留密码登录（仅让现有令牌失效）"
        ),
    ] = False,
    store: StoreOption = None,
) -> None:
    """Revoke every token of a user; password sign-in stays locked until `users passwd`
    / 吊销用户的全部令牌；在重设密码前不能用密码登录"""
    from api.users.schemas import LOCKED_PASSWORD

    lock = None if keep_password else LOCKED_PASSWORD
    count = _update(store, username, revoke=True, password_hash=lock)
    console().print(f"revoked {count} token(s) / 已吊销 {count} 个令牌", markup=False)
    if lock:
        console().print(
            f"password sign-in of {username} is locked until `mzgis users passwd {username}`"
            f" / 在执行 mzgis users passwd {username} 之前，该用户不能用密码登录",
            markup=False,
        )


@app.command("disable")
@user_errors
def disable(username: Annotated[str, typer.Argument()], store: StoreOption = None) -> None:
    """Disable a user: every token stops working at once / 停用用户，其全部令牌立即失效"""
    count = _update(store, username, active=False)
    console().print(
        f"disabled {username}, revoked {count} token(s) / 已停用 {username}，吊销 {count} 个令牌",
        markup=False,
    )


@app.command("enable")
@user_errors
def enable(username: Annotated[str, typer.Argument()], store: StoreOption = None) -> None:
    """Enable a disabled user / 重新启用用户"""
    _update(store, username, active=True)
    console().print(f"enabled {username} / 已启用 {username}", markup=False)


@app.command("passwd")
@user_errors
def passwd(
    username: Annotated[str, typer.Argument()],
    password_stdin: PasswordStdin = False,
    store: StoreOption = None,
) -> None:
    """Set a user's password; every token of the user is revoked / 设置密码并吊销全部令牌"""
    from api.auth import hash_password
    from api.users.passwords import check_password
    from layers.records import open_record_store

    password = _read_password(password_stdin)
    with opened_store(store, writes=True) as opened:
        records = open_record_store(opened)
        user = records.get_user(username)
        check_password(password, username=username, display_name=user.display_name)
        _, count = records.update_user(
            username, actor=cli_actor(), password_hash=hash_password(password)
        )
    console().print(
        f"password of {username} set, {count} token(s) revoked"
        f" / 已设置 {username} 的密码，吊销 {count} 个令牌",
        markup=False,
    )


@app.command("remove")
@user_errors
def remove(
    username: Annotated[str, typer.Argument()],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask / 不再确认")] = False,
    store: StoreOption = None,
) -> None:
    """Remove a user named by no record, review, photo, campaign or plan (else disable)
    / 删除未留下任何记录的用户（否则请停用）"""
    from layers.records import open_record_store

    question = (
        f"remove user {username} with their tokens and campaign memberships?"
        f" / 删除用户 {username} 及其令牌和批次成员身份？"
    )
    if not yes and not typer.confirm(question):
        raise typer.Exit(1)
    with opened_store(store, writes=True) as opened:
        open_record_store(opened).remove_user(username, actor=cli_actor())
    console().print(f"removed {username} / 已删除 {username}", markup=False)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("password / 密码", hide_input=True, confirmation_prompt=True))


def _update(store: str | None, username: str, **change: object) -> int:
    from layers.records import open_record_store

    with opened_store(store, writes=True) as opened:
        _, count = open_record_store(opened).update_user(
            username,
            actor=cli_actor(),
            **change,  # type: ignore[arg-type]
        )
    return count
