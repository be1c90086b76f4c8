"""Cached sign-in state (accounts.authentication) follows every change to a user row."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.authentication import forget_auth_state
from accounts.models import User


@receiver(post_save, sender=User, dispatch_uid="accounts-forget-auth-state-on-save")
@receiver(post_delete, sender=User, dispatch_uid="accounts-forget-auth-state-on-delete")
def _forget_auth_state(sender, instance: User, **kwargs) -> None:
    forget_auth_state(instance.pk)
    # Again once committed: a request that read the old row before the commit may have cached it meanwhile.
    transaction.on_commit(lambda: forget_auth_state(instance.pk))
