import factory
from django_otp.plugins.otp_static.models import StaticDevice

from accounts.models import User
from billing.services import wallet_create
from predictor.services import price
from screening.models import Screening

PASSWORD = "a-long-test-passphrase-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Faker("first_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def wallet(user, create, extracted, **kwargs):
        if create:
            user.save()
            wallet_create(user=user)


class ScreeningFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Screening

    owner = factory.SubFactory(UserFactory)
    model_key = "logistic"
    answers = factory.LazyFunction(lambda: {"age": 40, "sex": "female"})
    cost = factory.LazyAttribute(lambda s: price(s.model_key))


def enrol_second_factor(user, token: str = "backup-code-1") -> StaticDevice:
    """A confirmed one-time code device, as `manage.py addstatictoken` makes for a staff member's first sign-in."""
    device = StaticDevice.objects.create(user=user, name="backup codes", confirmed=True)
    device.token_set.create(token=token)
    return device
