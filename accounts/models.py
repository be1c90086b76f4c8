from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_prometheus.models import ExportModelOperationsMixin


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """The one normal form of an address, everywhere: trimmed and lower-cased (login is case-blind)."""
        return super().normalize_email((email or "").strip()).lower()

    def get_by_natural_key(self, email: str) -> "User":
        # Logging in with Ana@Example.com finds ana@example.com.
        return self.get(email__iexact=email)

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(ExportModelOperationsMixin("user"), AbstractBaseUser, PermissionsMixin):
    """A person with an account. The email address is the login; it is stored lower-cased."""

    email = models.EmailField("email address", max_length=254, unique=True)
    display_name = models.CharField(max_length=80, blank=True)
    is_staff = models.BooleanField(default=False, help_text="Can log in to the admin site.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # The site's language for this person (a code from settings.LANGUAGES): set at sign-up from the request,
    # changed with the language switcher or on the account page. Blank: the browser's Accept-Language decides.
    language = models.CharField(_("language"), max_length=10, blank=True)
    # The country whose helplines and emergency number the person is shown (ISO 3166-1 alpha-2), asked once and
    # optional. Blank: the one their browser's language or the site's language suggests, or none
    # (core.selectors.country_for_request).
    country = models.CharField(_("country"), max_length=2, blank=True)
    preferred_units = models.JSONField(
        default=dict, blank=True, help_text='The units the person last used per measurement: {"height_cm": "ft_in"}.'
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            # Case-insensitive uniqueness, enforced by the database whatever code path writes the row.
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(
                condition=Q(country="") | Q(country__regex=r"^[A-Z]{2}$"), name="user_country_is_a_code"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_set = True

    def save(self, *args, **kwargs) -> None:
        # A new password (changed, reset, or set by staff: each goes through set_password) revokes every refresh
        # token issued before it, whatever the path; access tokens already die with it (CHECK_REVOKE_TOKEN).
        password_changed = getattr(self, "password_set", False) and not self._state.adding
        super().save(*args, **kwargs)
        self.password_set = False
        if password_changed:
            from accounts.services import user_tokens_revoke

            user_tokens_revoke(user=self)

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email)

    def get_short_name(self) -> str:
        return self.display_name or self.email.split("@")[0]

    def get_full_name(self) -> str:
        return self.display_name or self.email
