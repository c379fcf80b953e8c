<?php

echo "hello from php-plain (PHP ", PHP_MAJOR_VERSION, ")\n";
